"""The registered pages: app.py builds the navigation from this list and tests open every one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    section: str
    icon: str

    @property
    def url_path(self) -> str:
        return self.path.removeprefix("pages/").removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/data.py", "Data", "Data", ":material/table_chart:"),
    PageSpec("pages/segments.py", "Segments", "Analyse", ":material/groups:"),
    PageSpec("pages/value_groups.py", "Value & lifecycle", "Analyse", ":material/workspace_premium:"),
    PageSpec("pages/rules.py", "Basket rules", "Analyse", ":material/shopping_basket:"),
    PageSpec("pages/recommendations.py", "Recommendations", "Analyse", ":material/recommend:"),
    PageSpec("pages/planner.py", "Promotion planner", "Act", ":material/campaign:"),
    PageSpec("pages/uplift.py", "Uplift targeting", "Act", ":material/target:"),
    PageSpec("pages/abtest.py", "A/B tests", "Measure", ":material/science:"),
)
