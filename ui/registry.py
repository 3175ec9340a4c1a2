"""The registered pages: app.py builds the navigation from this list and tests open every one."""

from __future__ import annotations

from dataclasses import dataclass

from promo_core.i18n import N_


@dataclass(frozen=True)
class PageSpec:
    """A page; ``title`` and ``section`` are English msgids, translated by app.py where they are shown."""

    path: str
    title: str
    section: str
    icon: str

    @property
    def url_path(self) -> str:
        return self.path.removeprefix("views/").removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/data.py", N_("Data"), N_("Data"), ":material/table_chart:"),
    PageSpec("views/segments.py", N_("Segments"), N_("Analyse"), ":material/groups:"),
    PageSpec("views/value_groups.py", N_("Value & lifecycle"), N_("Analyse"), ":material/workspace_premium:"),
    PageSpec("views/rules.py", N_("Basket rules"), N_("Analyse"), ":material/shopping_basket:"),
    PageSpec("views/recommendations.py", N_("Recommendations"), N_("Analyse"), ":material/recommend:"),
    PageSpec("views/planner.py", N_("Promotion planner"), N_("Act"), ":material/campaign:"),
    PageSpec("views/uplift.py", N_("Uplift targeting"), N_("Act"), ":material/target:"),
    PageSpec("views/abtest.py", N_("A/B tests"), N_("Measure"), ":material/science:"),
    PageSpec("views/readout.py", N_("Campaign readout"), N_("Measure"), ":material/fact_check:"),
    PageSpec("views/campaigns.py", N_("Campaigns"), N_("Measure"), ":material/history:"),
)
