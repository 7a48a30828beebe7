//! Market tables of shop 0 and every even shop: the US (sales tax, retail
//! delivery fees), the UK (ON_HOLD common, post towns) and Japan (yen
//! without decimals, Japanese addresses and katakana readings).

use crate::world::markets::market::{Market, carrier, person, person_local, place, taxed};
use crate::world::money::Currency;

pub(crate) static US: Market = Market {
    region: "US",
    country: "United States",
    currency: Currency {
        code: "USD",
        decimals: 2,
        trim_zeros: true,
    },
    fx: (1, 1),
    price_step: 1,
    shipping_fee: 599,
    free_shipping_over: 3500,
    level_names: &["Country", "State", "County", "City"],
    places: &[
        taxed(
            &["California", "Los Angeles County", "Los Angeles"],
            "US-CA",
            "900##",
            9500,
            0,
        ),
        taxed(
            &["California", "Santa Clara County", "San Jose"],
            "US-CA",
            "951##",
            8625,
            0,
        ),
        taxed(
            &["New York", "New York County", "New York"],
            "US-NY",
            "100##",
            8875,
            0,
        ),
        taxed(
            &["Texas", "Harris County", "Houston"],
            "US-TX",
            "770##",
            8250,
            0,
        ),
        taxed(
            &["Colorado", "Denver County", "Denver"],
            "US-CO",
            "802##",
            8810,
            28,
        ),
        taxed(
            &["Minnesota", "Hennepin County", "Minneapolis"],
            "US-MN",
            "554##",
            8025,
            50,
        ),
        taxed(
            &["Washington", "King County", "Seattle"],
            "US-WA",
            "981##",
            10_250,
            0,
        ),
    ],
    people: &[
        person("David Kong", "David", "Kong"),
        person("Maria Garcia", "Maria", "Garcia"),
        person("James O'Connor", "James", "O'Connor"),
        person("Emily Nguyen", "Emily", "Nguyen"),
        person("José Hernández", "José", "Hernández"),
        person_local("John Doe", ("John", "Doe"), ("ジョン", "ドゥ")),
    ],
    streets: &[
        "1199 Coleman Ave",
        "5800 Bristol Pkwy, Suite 100",
        "350 5th Ave Apt 4B",
    ],
    carriers: &[
        carrier("USPS", "9400", 18),
        carrier("UPS", "1Z", 16),
        carrier("FedEx", "", 12),
    ],
    payment_methods: &["CCDC", "PayPal", "Apple Pay", "Google Pay"],
    phone: "(+1)###-***-####",
    on_hold_per_mille: 20,
    cod_per_mille: 0,
    delivery_options: &["Standard Shipping", "Express Shipping"],
};

pub(crate) static GB: Market = Market {
    region: "GB",
    country: "United Kingdom",
    currency: Currency {
        code: "GBP",
        decimals: 2,
        trim_zeros: false,
    },
    fx: (79, 100),
    price_step: 1,
    shipping_fee: 299,
    free_shipping_over: 2500,
    level_names: &["Country", "Region", "County", "Post Town"],
    places: &[
        place(
            &["England", "Greater London", "London"],
            "GB-ENG",
            "SW1A #AA",
        ),
        place(&["England", "Lancashire", "Preston"], "GB-ENG", "PR2 #XE"),
        place(
            &["Scotland", "City of Edinburgh", "Edinburgh"],
            "GB-SCT",
            "EH# 1YZ",
        ),
        place(&["Wales", "Cardiff", "Cardiff"], "GB-WLS", "CF10 #AN"),
    ],
    people: &[
        person("Oliver Brown", "Oliver", "Brown"),
        person("Amelia Jones", "Amelia", "Jones"),
        person("Siobhán Murphy", "Siobhán", "Murphy"),
        person("Priya Patel", "Priya", "Patel"),
    ],
    streets: &[
        "221B Baker Street",
        "Flat 3, 14 Ribbleton Lane",
        "1 Princes Street",
    ],
    carriers: &[
        carrier("Royal Mail", "JX", 9),
        carrier("Evri", "H0", 14),
        carrier("DPD", "15", 12),
    ],
    payment_methods: &["CCDC", "PayPal", "Klarna"],
    phone: "(+44)7###***###",
    on_hold_per_mille: 300,
    cod_per_mille: 0,
    delivery_options: &["Standard Shipping"],
};

pub(crate) static JP: Market = Market {
    region: "JP",
    country: "日本",
    currency: Currency {
        code: "JPY",
        decimals: 0,
        trim_zeros: true,
    },
    fx: (3, 2),
    price_step: 10,
    shipping_fee: 500,
    free_shipping_over: 5000,
    level_names: &["Country", "Prefecture", "City", "Town"],
    places: &[
        place(&["東京都", "渋谷区", "神南"], "JP-13", "150-00##"),
        place(&["大阪府", "大阪市北区", "梅田"], "JP-27", "530-00##"),
    ],
    people: &[
        person_local("山田 太郎", ("Taro", "Yamada"), ("タロウ", "ヤマダ")),
        person_local("佐藤 花子", ("Hanako", "Sato"), ("ハナコ", "サトウ")),
        person_local("ジョン スミス", ("John", "Smith"), ("ジョン", "スミス")),
    ],
    streets: &["1-2-3 神南", "梅田2丁目4-9 グランフロント 12F"],
    carriers: &[carrier("ヤマト運輸", "", 12), carrier("佐川急便", "", 12)],
    payment_methods: &["CCDC", "PayPay", "コンビニ払い"],
    phone: "(+81)90-****-####",
    on_hold_per_mille: 20,
    cod_per_mille: 0,
    delivery_options: &["通常配送"],
};
