"""Fixed vocabularies for the demo snapshot generator: names, places, catalog, campaigns."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

# (kanji, romaji, weight). Weights are rough relative frequencies; the rare-kanji forms
# 髙 (U+9AD9) and 﨑 (U+FA11) are CP932-encodable (IBM extensions) but not in JIS X 0208.
FAMILY_NAMES: list[tuple[str, str, int]] = [
    ("佐藤", "sato", 19),
    ("鈴木", "suzuki", 18),
    ("高橋", "takahashi", 14),
    ("田中", "tanaka", 13),
    ("伊藤", "ito", 11),
    ("渡辺", "watanabe", 11),
    ("山本", "yamamoto", 11),
    ("中村", "nakamura", 10),
    ("小林", "kobayashi", 10),
    ("加藤", "kato", 9),
    ("吉田", "yoshida", 8),
    ("山田", "yamada", 8),
    ("佐々木", "sasaki", 7),
    ("山口", "yamaguchi", 6),
    ("松本", "matsumoto", 6),
    ("井上", "inoue", 6),
    ("木村", "kimura", 6),
    ("林", "hayashi", 5),
    ("斎藤", "saito", 5),
    ("清水", "shimizu", 5),
    ("山崎", "yamazaki", 5),
    ("森", "mori", 5),
    ("池田", "ikeda", 4),
    ("橋本", "hashimoto", 4),
    ("阿部", "abe", 4),
    ("石川", "ishikawa", 4),
    ("山下", "yamashita", 4),
    ("中島", "nakajima", 4),
    ("石井", "ishii", 4),
    ("小川", "ogawa", 4),
    ("前田", "maeda", 4),
    ("岡田", "okada", 4),
    ("長谷川", "hasegawa", 4),
    ("藤田", "fujita", 4),
    ("後藤", "goto", 4),
    ("近藤", "kondo", 4),
    ("村上", "murakami", 3),
    ("遠藤", "endo", 3),
    ("青木", "aoki", 3),
    ("坂本", "sakamoto", 3),
    ("斉藤", "saito", 3),
    ("福田", "fukuda", 3),
    ("太田", "ota", 3),
    ("西村", "nishimura", 3),
    ("藤井", "fujii", 3),
    ("金子", "kaneko", 3),
    ("岡本", "okamoto", 3),
    ("藤原", "fujiwara", 3),
    ("中野", "nakano", 3),
    ("三浦", "miura", 3),
    ("原田", "harada", 3),
    ("松田", "matsuda", 3),
    ("竹内", "takeuchi", 3),
    ("小野", "ono", 3),
    ("中川", "nakagawa", 3),
    ("渡部", "watanabe", 2),
    ("齋藤", "saito", 2),
    ("渡邉", "watanabe", 1),
    ("髙橋", "takahashi", 2),
    ("山﨑", "yamazaki", 1),
    ("宮﨑", "miyazaki", 1),
    ("髙田", "takada", 1),
    ("岡﨑", "okazaki", 1),
]

# Names CP932 cannot encode (U+20BB7 𠮷, U+2123D 𡈽, U+3402 㐂, U+9DD7 鷗).
UNENCODABLE_FAMILY: list[tuple[str, str, int]] = [
    ("𠮷田", "yoshida", 3),
    ("𠮷野", "yoshino", 2),
    ("𠮷川", "yoshikawa", 1),
    ("𡈽井", "tsuchii", 1),
]
UNENCODABLE_GIVEN: list[tuple[str, str, int]] = [("㐂代子", "kiyoko", 1), ("鷗介", "osuke", 1)]

GIVEN_FEMALE: list[tuple[str, str, int]] = [
    ("陽菜", "hina", 3),
    ("結衣", "yui", 3),
    ("さくら", "sakura", 3),
    ("美咲", "misaki", 4),
    ("葵", "aoi", 3),
    ("愛", "ai", 3),
    ("花子", "hanako", 1),
    ("裕子", "yuko", 4),
    ("恵子", "keiko", 3),
    ("由美", "yumi", 3),
    ("真由美", "mayumi", 3),
    ("明美", "akemi", 2),
    ("久美子", "kumiko", 3),
    ("彩", "aya", 3),
    ("舞", "mai", 3),
    ("千尋", "chihiro", 2),
    ("奈々", "nana", 2),
    ("芽衣", "mei", 2),
    ("凛", "rin", 2),
    ("陽子", "yoko", 3),
    ("智子", "tomoko", 3),
    ("直美", "naomi", 3),
    ("麻衣", "mai", 2),
    ("友美", "tomomi", 2),
    ("香織", "kaori", 3),
    ("理恵", "rie", 2),
    ("沙織", "saori", 2),
    ("美穂", "miho", 2),
    ("瞳", "hitomi", 2),
    ("優花", "yuka", 2),
    ("あかり", "akari", 2),
    ("紗希", "saki", 2),
]
GIVEN_MALE: list[tuple[str, str, int]] = [
    ("翔太", "shota", 3),
    ("大輔", "daisuke", 3),
    ("健太", "kenta", 3),
    ("拓也", "takuya", 3),
    ("太郎", "taro", 2),
    ("一郎", "ichiro", 1),
    ("誠", "makoto", 3),
    ("浩", "hiroshi", 3),
    ("隆", "takashi", 3),
    ("直樹", "naoki", 3),
    ("蓮", "ren", 2),
    ("陽翔", "haruto", 2),
    ("悠真", "yuma", 2),
    ("大翔", "hiroto", 2),
    ("健一", "kenichi", 2),
    ("和也", "kazuya", 2),
    ("亮", "ryo", 2),
    ("達也", "tatsuya", 2),
    ("剛", "tsuyoshi", 2),
    ("修", "osamu", 2),
    ("聡", "satoshi", 2),
    ("裕太", "yuta", 2),
    ("翼", "tsubasa", 2),
    ("湊", "minato", 1),
]
GIVEN_NEUTRAL: list[tuple[str, str, int]] = [
    ("薫", "kaoru", 2),
    ("光", "hikaru", 2),
    ("晶", "akira", 2),
    ("渚", "nagisa", 1),
    ("望", "nozomi", 2),
    ("遥", "haruka", 2),
    ("純", "jun", 2),
    ("真琴", "makoto", 1),
]

# (prefecture, weight ≈ population in 100k, boosted for the big metro areas)
PREFECTURES: list[tuple[str, int]] = [
    ("東京都", 190),
    ("神奈川県", 110),
    ("大阪府", 105),
    ("愛知県", 80),
    ("埼玉県", 78),
    ("千葉県", 66),
    ("兵庫県", 56),
    ("北海道", 50),
    ("福岡県", 55),
    ("静岡県", 36),
    ("茨城県", 28),
    ("広島県", 28),
    ("京都府", 27),
    ("宮城県", 24),
    ("新潟県", 21),
    ("長野県", 20),
    ("岐阜県", 19),
    ("栃木県", 19),
    ("群馬県", 19),
    ("岡山県", 18),
    ("福島県", 18),
    ("三重県", 17),
    ("熊本県", 17),
    ("鹿児島県", 15),
    ("沖縄県", 15),
    ("滋賀県", 14),
    ("山口県", 13),
    ("愛媛県", 13),
    ("奈良県", 13),
    ("長崎県", 13),
    ("青森県", 12),
    ("岩手県", 12),
    ("石川県", 11),
    ("大分県", 11),
    ("宮崎県", 10),
    ("山形県", 10),
    ("富山県", 10),
    ("秋田県", 9),
    ("香川県", 9),
    ("和歌山県", 9),
    ("佐賀県", 8),
    ("山梨県", 8),
    ("福井県", 7),
    ("徳島県", 7),
    ("高知県", 7),
    ("島根県", 6),
    ("鳥取県", 5),
]

SEARCH_TERMS: list[str] = [
    "化粧水",
    "日焼け止め",
    "シャンプー",
    "クレンジング",
    "美容液",
    "ファンデーション",
    "リップ",
    "ヘアオイル",
    "香水",
    "ハンドクリーム",
    "敏感肌",
    "毛穴",
    "保湿",
    "ギフト",
    "限定",
    "プチプラ",
    "メンズ",
    "福袋",
    "ゆず",
    "さくら",
    "ビタミンC",
    "コラーゲン",
    "vitamin c",
    "retinol",
    "niacinamide",
    "lip tint",
    "mascara",
    "sunscreen",
    "shampoo",
    "perfume",
    "gift set",
    "spf50",
    "kiyora",
    "sora lab",
]

# (slug, product count, (min, max) price in yen, product types, variants)
CATEGORIES: list[tuple[str, int, tuple[int, int], list[str], list[str]]] = [
    (
        "skincare",
        62,
        (1500, 9800),
        [
            "化粧水",
            "乳液",
            "美容液",
            "クレンジングオイル",
            "洗顔フォーム",
            "日焼け止めミルク",
            "シートマスク",
            "アイクリーム",
            "保湿クリーム",
            "ブースター美容液",
            "ミスト化粧水",
        ],
        [
            "モイスト",
            "さっぱり",
            "しっとり",
            "ブライトニング",
            "薬用",
            "ナイト",
            "リペア",
            "プレミアム",
            "ピュア",
            "敏感肌用",
        ],
    ),
    (
        "makeup",
        58,
        (1100, 6000),
        [
            "リップスティック",
            "リキッドファンデーション",
            "アイシャドウパレット",
            "マスカラ",
            "リキッドアイライナー",
            "パウダーチーク",
            "化粧下地",
            "コンシーラー",
            "フェイスパウダー",
            "ネイルカラー",
            "アイブロウペンシル",
            "リップティント",
        ],
        ["01 ナチュラル", "02 ローズ", "03 コーラル", "04 ベージュ", "05 ブラウン", "06 ボルドー"],
    ),
    (
        "haircare",
        40,
        (1200, 4800),
        [
            "シャンプー",
            "トリートメント",
            "ヘアオイル",
            "ヘアマスク",
            "スカルプエッセンス",
            "ヘアミスト",
            "スタイリングバーム",
        ],
        ["モイスト", "スムース", "ボリューム", "ダメージケア", "ゆず", "さくら", "詰め替え"],
    ),
    (
        "fragrance",
        28,
        (2800, 16500),
        [
            "オードトワレ",
            "オードパルファム",
            "ボディミスト",
            "ルームフレグランス",
            "練り香水",
            "ヘアフレグランス",
        ],
        [
            "ホワイトムスク",
            "サボン",
            "ゆず",
            "さくら",
            "シトラス",
            "ローズ",
            "ジャスミン",
            "ウッディ",
        ],
    ),
    (
        "bodycare",
        36,
        (700, 3800),
        [
            "ボディソープ",
            "ボディクリーム",
            "ハンドクリーム",
            "ボディスクラブ",
            "入浴剤",
            "デオドラントスプレー",
            "フットクリーム",
        ],
        ["しっとり", "さっぱり", "ゆず", "さくら", "無香料", "ラベンダー", "詰め替え"],
    ),
    (
        "supplements",
        30,
        (1400, 6500),
        [
            "ビタミンC",
            "コラーゲンドリンク",
            "乳酸菌サプリ",
            "鉄分サプリ",
            "マルチビタミン",
            "ソイプロテイン",
            "ヒアルロン酸サプリ",
        ],
        ["30日分", "60日分", "徳用", "お試し"],
    ),
    (
        "menscare",
        26,
        (800, 3800),
        [
            "メンズ洗顔",
            "オールインワンジェル",
            "シェービングフォーム",
            "メンズ化粧水",
            "ヘアワックス",
            "メンズBBクリーム",
        ],
        ["オイルコントロール", "モイスト", "クール", "無香料", "薬用"],
    ),
    (
        "accessories",
        20,
        (350, 3500),
        [
            "メイクブラシ",
            "スポンジパフ",
            "コスメポーチ",
            "ヘアクリップ",
            "あぶらとり紙",
            "コットン",
            "ミラー",
        ],
        ["ベーシック", "限定デザイン", "ミニ", "トラベル", "プレミアム"],
    ),
]

BRANDS: dict[str, list[str]] = {
    "skincare": ["さくら堂", "ルミナ", "ミズハ", "KIYORA", "SORA LAB", "月白"],
    "makeup": ["ルミナ", "HANAE", "KIYORA", "アオバ", "さくら堂"],
    "haircare": ["ユズリハ", "ミズハ", "SORA LAB", "アオバ"],
    "fragrance": ["HANAE", "月白", "ユズリハ"],
    "bodycare": ["ユズリハ", "さくら堂", "ミズハ", "kizuna select"],
    "supplements": ["アオバ製薬", "SORA LAB", "kizuna select"],
    "menscare": ["MONOCHROME MEN", "SORA LAB", "ミズハ"],
    "accessories": ["kizuna select", "HANAE", "ルミナ"],
}


def draw(*parts: object) -> float:
    """Return a deterministic uniform float in [0, 1) for the given key parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


def expand(pool: list[tuple[str, str, int]]) -> tuple[list[str], list[str]]:
    """Repeat each (kanji, romaji) entry by its weight; return parallel lists."""
    kanji = [k for k, _, w in pool for _ in range(w)]
    romaji = [r for _, r, w in pool for _ in range(w)]
    return kanji, romaji


def products() -> list[tuple[str, str, str, str, int, int, int]]:
    """Build the fixed ~300-product catalog: (id, name, category, brand, price, cat_idx, idx)."""
    rows: list[tuple[str, str, str, str, int, int, int]] = []
    seen: set[str] = set()
    for ci, (slug, count, (lo, hi), kinds, variants) in enumerate(CATEGORIES):
        brands = BRANDS[slug]
        j = attempt = 0
        while j < count:
            attempt += 1
            brand = brands[int(draw("p", slug, attempt, "b") * len(brands))]
            kind = kinds[int(draw("p", slug, attempt, "k") * len(kinds))]
            variant = variants[int(draw("p", slug, attempt, "v") * len(variants))]
            name = f"{brand} {kind} {variant}" if slug == "makeup" else f"{brand} {variant}{kind}"
            if name in seen:
                continue
            seen.add(name)
            price = lo + (hi - lo) * draw("p", slug, attempt, "price") ** 1.6
            price = max(
                lo, round(price / 100) * 100 - (20 if draw("p", slug, attempt, "e") < 0.4 else 0)
            )
            rows.append(("", name, slug, brand, int(price), ci, j))
            j += 1
    return [(f"P{n + 1:04d}", *row[1:]) for n, row in enumerate(rows)]


def campaigns(as_of: date) -> list[tuple[str, str, date, int, str, float]]:
    """Campaign calendar for the year ending on as_of: (id, channel, day, hour, target, reach)."""
    out: list[tuple[str, str, date, int, str, float]] = []

    def add(d: date, name: str, channel: str, hour: int, target: str, reach: float) -> None:
        out.append((f"{d:%Y%m%d}-{name}-{channel}", channel, d, hour, target, reach))

    start = as_of - timedelta(days=364)
    d = start
    while d <= as_of:
        if d.weekday() == 3:
            add(d, "newsletter", "email", 10, "all", 0.11)
        if d.weekday() == 5:
            add(d, "weekly", "line", 12, "all", 0.22)
        if d.day == 10:
            add(d, "reminder", "sms", 18, "recent", 0.30)
        if d.day == 20:
            add(d, "winback", "email", 9, "lapsed", 0.35)
        d += timedelta(days=1)
    seasonal = [
        ((11, 28), "black-friday", "email", 8, "all", 0.40),
        ((12, 4), "xmas-sale", "email", 10, "all", 0.45),
        ((12, 5), "xmas-sale", "line", 12, "all", 0.55),
        ((12, 18), "xmas-last-call", "email", 19, "buyers", 0.35),
        ((12, 19), "xmas-last-call", "sms", 18, "recent", 0.25),
        ((1, 2), "fukubukuro", "email", 8, "all", 0.45),
        ((1, 2), "fukubukuro", "line", 9, "all", 0.55),
        ((3, 6), "white-day", "email", 10, "buyers", 0.30),
        ((5, 8), "mothers-day", "email", 10, "all", 0.30),
        ((7, 10), "summer-sale", "email", 10, "all", 0.45),
        ((7, 11), "summer-sale", "line", 12, "all", 0.55),
        ((7, 24), "summer-sale-last", "sms", 18, "recent", 0.25),
        ((9, 12), "aw-launch", "email", 10, "all", 0.30),
        ((10, 15), "vip-preview", "email", 9, "vip", 0.90),
        ((11, 1), "nov-sale", "email", 8, "all", 0.50),
        ((11, 1), "nov-sale", "line", 9, "all", 0.60),
        ((11, 14), "nov-sale-final", "email", 8, "all", 0.55),
        ((11, 15), "nov-sale-final", "line", 12, "all", 0.65),
        ((11, 17), "vip-early-bf", "email", 9, "vip", 1.00),
        ((11, 18), "sale-reminder", "sms", 18, "recent", 0.45),
        ((11, 20), "bf-countdown", "line", 12, "buyers", 0.60),
    ]
    for (month, day), name, channel, hour, target, reach in seasonal:
        for year in (as_of.year - 1, as_of.year):
            d = date(year, month, day)
            if start <= d <= as_of:
                add(d, name, channel, hour, target, reach)
    return sorted(out, key=lambda c: (c[2], c[3], c[0]))
