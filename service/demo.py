"""`taizhang serve --demo`: an example round from the bundled 000 ledger, ready to click through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "000_dalian_2019_reform_ledger.xlsx"


def create_demo(store: Any, settings: Settings, base_url: str) -> str:
    """Create the example round (split by 责任单位) and return the text that shows its links."""
    from taizhang.rounds import create_round

    rnd = create_round(store, EXAMPLE, "示例：2019年第二季度", dt.date.today() + dt.timedelta(days=14), by="示例",
                       split_by="责任单位", master_name="2019年卫生健康工作台账.xlsx")
    lines = [f"已创建示例报送轮次《{rnd.name}》（总台账 examples/000，按责任单位分发给 {len(rnd.departments)} 个处室）。",
             f"  改革办：{base_url}/rounds/{rnd.id}" + ("" if settings.admin_password else "（本机访问无需密码）")]
    lines += [f"  {d.name}：{base_url}/d/{d.token}" for d in rnd.departments]
    return "\n".join(lines) + "\n"
