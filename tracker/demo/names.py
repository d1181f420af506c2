"""Plausible Chinese company names: city + two-character trade name (字号) + industry phrase + legal form.

Names are unique by construction: a serial number maps bijectively onto (first character, second
character, industry phrase), and every phrase is distinct, so two serials never share a name. Past
that space (about 2.5M names) a serial takes a third trade-name character, one per further block of
the same size: a character that begins no industry phrase, so "AB"+"X…" can never read as "ABX"+"…".
"""

from __future__ import annotations

import numpy as np

# Characters common in Chinese trade names; each list has distinct single characters.
FIRST_CHARS = (
    "恒华瑞泰鑫宏盛隆达通富嘉博中新天海远明佳信德康安永昌亚汇晨星金宇光辉腾飞创联合丰源润润"
    "科智诺微芯凯特伟亿凌朗宸旭晟昊睿贝澳思迈捷卓越精锐力美凡尚正和顺东南西北江淮苏吴锡常宁"
    "扬通盐徐连宿镇泰云峰山川岳林森禾本元启欣悦华灿维尔普罗赛纳奥斯拓展鼎盈聚航舜尧汉唐宋明清"
    "益众协同万千百方圆宝玉银铭铭浩瀚洋泓沛沃沐泽鸿鹏翔雁鹰龙凤麟虎豹狮骏驰"
)
SECOND_CHARS = (
    "达创源通华泰科信宇瑞宏盛隆德邦鑫捷诚威力美嘉丰恒远成辉腾飞博昌立胜凯新星光明亮晶锐迪"
    "诺威普尔斯特克森林峰图腾驰航翔宁安康健和顺祥福禄寿喜乐合众联汇聚集利润源泉川海洋湖江"
    "河山岳石金银铜铁钢玉珠宝锦绣纶纺织机电器仪表芯微纳晟昊旭睿哲思维度衡准精工匠艺佳优益"
    "云天地人杰俊英豪雄杉松柏桐榕竹兰梅菊莲荷舟帆楼阁亭台桥城"
)


# The third trade-name character of serials past the first block (10M enterprises use three blocks).
THIRD_CHARS = "昇晖琪璟珑瑄琨炜烨熠灏淼焱鑫垚森晶磊品鼎"


def _distinct(chars: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))


FIRST = _distinct(FIRST_CHARS)
SECOND = _distinct(SECOND_CHARS)

# Industry phrases by cluster code; every phrase appears once across all clusters. A cluster gets
# enterprises in proportion to its number of phrases.
CLUSTER_PHRASES: dict[str, tuple[str, ...]] = {
    "biomedicine": ("生物医药", "制药", "医药科技", "医疗器械", "药业", "生物技术", "医疗科技"),
    "intelligent_manufacturing_equipment": (
        "智能装备",
        "机械制造",
        "精密机械",
        "数控机床",
        "机器人",
        "自动化设备",
        "传动科技",
        "工程机械",
        "重工",
    ),
    "integrated_circuits": ("半导体", "微电子", "集成电路", "芯片科技", "电子材料", "封装测试"),
    "new_power_equipment": ("电气", "电力设备", "输变电设备", "开关设备", "电力科技"),
    "new_energy": ("光伏科技", "新能源科技", "风电设备", "光电科技", "能源科技"),
    "artificial_intelligence": ("智能科技", "人工智能", "视觉科技", "智能技术"),
    "internet_of_things": ("物联网科技", "传感技术", "物联科技", "传感器"),
    "software_information_services": ("软件", "信息技术", "数据科技", "网络科技", "信息科技", "软件技术"),
    "new_energy_vehicles": ("汽车零部件", "新能源汽车", "动力科技", "汽车电子", "电池科技"),
    "new_display": ("显示科技", "光学", "显示技术"),
    "aerospace": ("航空科技", "航天科技", "航空零部件"),
    "ships_offshore_equipment": ("船舶", "海洋工程", "船舶配套", "海工装备"),
    "energy_saving_environmental": ("环保科技", "节能科技", "环境工程", "水处理设备", "环保设备"),
    "advanced_materials": ("新材料", "特种钢", "复合材料", "纤维科技", "化工新材料", "金属材料", "高分子材料"),
    "internet_of_vehicles": ("车联网科技", "智能驾驶", "车载电子"),
    "future_networks": ("通信科技", "通信技术", "光通信"),
    "third_generation_semiconductors": ("碳化硅科技", "功率半导体", "氮化镓科技"),
    "frontier_new_materials": ("石墨烯科技", "纳米科技", "先进材料"),
    "hydrogen_energy": ("氢能科技", "燃料电池"),
    "new_energy_storage": ("储能科技", "储能技术", "电源科技"),
    "cell_gene_technology": ("基因科技", "细胞科技", "生命科学"),
    "synthetic_biology": ("合成生物", "生物工程", "发酵科技"),
    "general_intelligence": ("智算科技", "具身智能", "机器智能"),
    "virtual_reality": ("虚拟现实", "数字科技", "光电显示"),
    "zero_carbon": ("低碳科技", "碳中和科技", "绿色能源"),
}
GENERIC_PHRASES = ("实业", "科技发展", "工业技术")  # for clusters added after this list was written

# Large odd multiplier for the serial → name bijection; coprime with any name-space size it is used
# with (checked when the space is built).
_MULTIPLIER = 2_654_435_761


class NameSpace:
    """The name space for a set of clusters: phrase i belongs to cluster ``phrase_cluster[i]``."""

    def __init__(self, cluster_codes: list[str]):
        phrases, owners = [], []
        for index, code in enumerate(cluster_codes):
            own = CLUSTER_PHRASES.get(code) or tuple(f"{p}{index}" for p in GENERIC_PHRASES)
            phrases.extend(own)
            owners.extend([index] * len(own))
        if len(set(phrases)) != len(phrases):
            raise ValueError("industry phrases must be distinct across clusters")
        self.third = tuple(c for c in _distinct(THIRD_CHARS) if c not in {p[0] for p in phrases})
        self.phrases = np.array(phrases, dtype=object)
        self.phrase_cluster = np.array(owners, dtype=np.int64)
        self.size = len(FIRST) * len(SECOND) * len(phrases)
        multiplier = _MULTIPLIER
        while np.gcd(multiplier, self.size) != 1:
            multiplier += 2
        self._multiplier = multiplier

    def parts(self, serials: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(first char, second char, phrase, block) indexes for each serial, unique per serial; block 0
        has no third character, block k ≥ 1 the k-th of ``third``."""
        block = serials.astype(np.int64) // self.size
        if serials.size and int(block.max()) > len(self.third):
            raise ValueError(f"demo name space exhausted ({self.size * (len(self.third) + 1):,} names)")
        index = serials.astype(np.int64) % self.size * self._multiplier % self.size  # < 2**63
        first = index % len(FIRST)
        second = (index // len(FIRST)) % len(SECOND)
        phrase = index // (len(FIRST) * len(SECOND))
        return first, second, phrase, block

    def names(
        self,
        city: np.ndarray,
        first: np.ndarray,
        second: np.ndarray,
        phrase: np.ndarray,
        block: np.ndarray,
        joint_stock: np.ndarray,
    ) -> list[str]:
        first_chars = np.array(FIRST, dtype=object)[first]
        second_chars = np.array(SECOND, dtype=object)[second]
        third_chars = np.array(("", *self.third), dtype=object)[block]
        forms = np.where(joint_stock, "股份有限公司", "有限公司").astype(object)
        return (city + first_chars + second_chars + third_chars + self.phrases[phrase] + forms).tolist()
