"""A 21Vianet desk's day in the demo: Office 365 operated by 21Vianet (seed article 000) is a
service in mainland China, so its desk works in China Standard Time and in Chinese
(`deskapp --demo --language zh-CN --time-zone Asia/Shanghai`). Organizations named in
Chinese, addresses written in Chinese order (district and street, then building and floor;
the city and province beside them), people and agents named in Chinese, family name first.

Fictional companies; phone numbers made up so that `phonenumbers` accepts them for CN.
tickets.demo merges these into the demo directory, agents and caller scripts.
"""

from __future__ import annotations

from typing import Any

A, B = "admin", "billing_admin"

# (name, display name, role, PIN): PINs for the demo only.
VIANET_AGENTS: list[tuple[str, str, str, str]] = [
    ("wangfang", "王芳", "agent", "5555"),
    ("zhanglei", "张磊", "supervisor", "6666"),
]

# As tickets.demo_people's organizations: people are (user ID local part, first name, last
# name, phone, primary contact?, roles).
VIANET_ORGANIZATIONS: list[dict[str, Any]] = [
    {"ref": "ORG-0044", "name": "上海浦江数码科技有限公司", "country": "CN", "domain": "pujiang-digital.cn",
     "url": None, "address": {"street_lines": ["浦东新区张江路665号", "3号楼8层"], "city": "上海市",
                              "region": "上海市", "postal_code": "201203"},
     "people": [("zhou.xin", "欣", "周", "021 5080 1234", True, (A, B)),
                ("qian.hao", "浩", "钱", "021 5080 1235", False, (A,))]},
    {"ref": "ORG-0045", "name": "广州珠江云计算有限公司", "country": "CN", "domain": "zhujiang-cloud.cn",
     "url": None, "address": {"street_lines": ["天河区珠江新城花城大道85号", "28楼"], "city": "广州市",
                              "region": "广东省", "postal_code": "510623"},
     "people": [("lin.xiaomei", "晓梅", "林", "020 3888 1234", True, (A, B)),
                ("guo.qiang", "强", "郭", "020 3888 1235", False, ())]},
    {"ref": "ORG-0046", "name": "杭州西溪软件有限公司", "country": "CN", "domain": "xixi-soft.cn",
     "url": None, "address": {"street_lines": ["西湖区文三路478号", "华星时代广场A座12楼"], "city": "杭州市",
                              "region": "浙江省", "postal_code": "310013"},
     "people": [("tang.jie", "杰", "唐", "0571 8888 1234", True, ()),
                ("song.yu", "雨", "宋", "0571 8888 1235", False, (A, B))]},
]


def vianet_subscriptions(sub) -> dict[str, list[dict[str, Any]]]:
    """Their Office 365 subscriptions, built with tickets.demo's `_sub` (day offsets from today):
    one bought 15 days ago (C-6: self-service within 30 days), one with fewer than 25 licences
    beside one cancelled 20 days ago (C-8: data kept 90 days), one support-only (C-6, C-7)."""
    return {
        "ORG-0044": [sub("SUB-0056", "Office 365 E3", "o365", bought=-15, licences=30,
                         domains=("pujiang-digital.cn",))],
        "ORG-0045": [sub("SUB-0057", "Office 365 E1", "o365", bought=-200, licences=20),
                     sub("SUB-0058", "Office 365 E3", "o365", bought=-600, start=-235, licences=40,
                         state="cancelled", cancelled=-20)],
        "ORG-0046": [sub("SUB-0059", "Office 365 E3", "o365", bought=-400, start=-35, licences=60,
                         domains=("xixi-soft.cn",))],
    }


# Caller scripts (tickets.demo._caller arguments): key, organization, caller, subscription, purpose.
VIANET_CALLERS: list[tuple[str, str, str, str, str]] = [
    ("vianet-early-cancellation", "ORG-0046", "song.yu", "SUB-0059",
     "21Vianet desk: Office 365 early cancellation by the billing admin of 杭州西溪软件有限公司, 60 "
     "licences bought long ago: only through support (C-6, C-4); custom domain first (C-7)."),
    ("vianet-self-service", "ORG-0044", "zhou.xin", "SUB-0056",
     "21Vianet desk: Office 365 bought 15 days ago: the customer can also cancel it in the admin "
     "center (C-6)."),
]
