//! The market tables: real-looking places, names (Vietnamese and Japanese
//! included, so non-ASCII text goes through every stage), carriers and
//! phone masks. Data only; `markets` explains the fields.

use super::markets::{Carrier, Market, Person, Place};
use super::money::Currency;

#[cfg(test)]
pub(crate) const ALL: [&Market; 6] = [&US, &GB, &ID, &VN, &JP, &MY];

const fn place(levels: &'static [&'static str], iso: &'static str, postal: &'static str) -> Place {
    Place { levels, iso, postal, tax_e5: 0, retail_delivery_fee: 0 }
}

const fn person(name: &'static str, first: &'static str, last: &'static str) -> Person {
    Person { name, first, last, local: None }
}

const fn carrier(name: &'static str, tracking_prefix: &'static str, digits: usize) -> Carrier {
    Carrier { name, tracking_prefix, digits }
}

pub(crate) static US: Market = Market {
    region: "US",
    country: "United States",
    currency: Currency { code: "USD", decimals: 2, trim_zeros: true },
    fx: (1, 1),
    price_step: 1,
    shipping_fee: 599,
    free_shipping_over: 3500,
    level_names: &["Country", "State", "County", "City"],
    places: &[
        Place { tax_e5: 9500, ..place(&["California", "Los Angeles County", "Los Angeles"], "US-CA", "900##") },
        Place { tax_e5: 8625, ..place(&["California", "Santa Clara County", "San Jose"], "US-CA", "951##") },
        Place { tax_e5: 8875, ..place(&["New York", "New York County", "New York"], "US-NY", "100##") },
        Place { tax_e5: 8250, ..place(&["Texas", "Harris County", "Houston"], "US-TX", "770##") },
        Place {
            tax_e5: 8810,
            retail_delivery_fee: 28,
            ..place(&["Colorado", "Denver County", "Denver"], "US-CO", "802##")
        },
        Place {
            tax_e5: 8025,
            retail_delivery_fee: 50,
            ..place(&["Minnesota", "Hennepin County", "Minneapolis"], "US-MN", "554##")
        },
        Place { tax_e5: 10_250, ..place(&["Washington", "King County", "Seattle"], "US-WA", "981##") },
    ],
    people: &[
        person("David Kong", "David", "Kong"),
        person("Maria Garcia", "Maria", "Garcia"),
        person("James O'Connor", "James", "O'Connor"),
        person("Emily Nguyen", "Emily", "Nguyen"),
        person("José Hernández", "José", "Hernández"),
        Person { name: "John Doe", first: "John", last: "Doe", local: Some(("ジョン", "ドゥ")) },
    ],
    streets: &["1199 Coleman Ave", "5800 Bristol Pkwy, Suite 100", "742 Evergreen Terrace", "350 5th Ave Apt 4B"],
    carriers: &[carrier("USPS", "9400", 18), carrier("UPS", "1Z", 16), carrier("FedEx", "", 12)],
    payment_methods: &["CCDC", "PayPal", "Apple Pay", "Google Pay"],
    phone: "(+1)###-***-####",
    on_hold_per_mille: 20,
    cod_per_mille: 0,
    delivery_options: &["Standard Shipping", "Express Shipping"],
};

pub(crate) static GB: Market = Market {
    region: "GB",
    country: "United Kingdom",
    currency: Currency { code: "GBP", decimals: 2, trim_zeros: false },
    fx: (79, 100),
    price_step: 1,
    shipping_fee: 299,
    free_shipping_over: 2500,
    level_names: &["Country", "Region", "County", "Post Town"],
    places: &[
        place(&["England", "Greater London", "London"], "GB-ENG", "SW1A #AA"),
        place(&["England", "Lancashire", "Preston"], "GB-ENG", "PR2 #XE"),
        place(&["Scotland", "City of Edinburgh", "Edinburgh"], "GB-SCT", "EH# 1YZ"),
        place(&["Wales", "Cardiff", "Cardiff"], "GB-WLS", "CF10 #AN"),
    ],
    people: &[
        person("Oliver Brown", "Oliver", "Brown"),
        person("Amelia Jones", "Amelia", "Jones"),
        person("Siobhán Murphy", "Siobhán", "Murphy"),
        person("Priya Patel", "Priya", "Patel"),
    ],
    streets: &["10 Downing Street", "221B Baker Street", "Flat 3, 14 Ribbleton Lane", "1 Princes Street"],
    carriers: &[carrier("Royal Mail", "JX", 9), carrier("Evri", "H0", 14), carrier("DPD", "15", 12)],
    payment_methods: &["CCDC", "PayPal", "Klarna"],
    phone: "(+44)7###***###",
    on_hold_per_mille: 300,
    cod_per_mille: 0,
    delivery_options: &["Standard Shipping"],
};

pub(crate) static ID: Market = Market {
    region: "ID",
    country: "Indonesia",
    currency: Currency { code: "IDR", decimals: 0, trim_zeros: true },
    fx: (160, 1),
    price_step: 100,
    shipping_fee: 15_000,
    free_shipping_over: 150_000,
    level_names: &["Country", "Province", "City", "District", "Village"],
    places: &[
        place(&["DKI Jakarta", "Jakarta Selatan", "Kebayoran Baru", "Gandaria Utara"], "ID-JK", "121##"),
        place(&["Jawa Barat", "Kota Bandung", "Coblong", "Dago"], "ID-JB", "401##"),
        place(&["Jawa Timur", "Kota Surabaya", "Gubeng", "Airlangga"], "ID-JI", "602##"),
    ],
    people: &[
        person("Budi Santoso", "Budi", "Santoso"),
        person("Siti Rahayu", "Siti", "Rahayu"),
        person("Dewi Lestari", "Dewi", "Lestari"),
    ],
    streets: &["Jl. Gandaria I No. 12", "Jl. Ir. H. Juanda No. 45", "Jl. Airlangga No. 7, RT 02/RW 05"],
    carriers: &[carrier("J&T Express", "JP", 10), carrier("SiCepat", "00", 10)],
    payment_methods: &["GoPay", "DANA", "Cash on delivery", "Bank transfer"],
    phone: "(+62)8##****####",
    on_hold_per_mille: 20,
    cod_per_mille: 250,
    delivery_options: &["Reguler", "Hemat", "Kargo"],
};

pub(crate) static VN: Market = Market {
    region: "VN",
    country: "Vietnam",
    currency: Currency { code: "VND", decimals: 0, trim_zeros: true },
    fx: (250, 1),
    price_step: 1000,
    shipping_fee: 30_000,
    free_shipping_over: 300_000,
    level_names: &["Country", "Province", "District", "Ward"],
    places: &[
        place(&["Hồ Chí Minh", "Quận 1", "Phường Bến Nghé"], "VN-SG", "700###"),
        place(&["Hà Nội", "Quận Hoàn Kiếm", "Phường Hàng Bạc"], "VN-HN", "100###"),
        place(&["Đà Nẵng", "Quận Hải Châu", "Phường Thạch Thang"], "VN-DN", "550###"),
    ],
    people: &[
        person("Nguyễn Văn An", "An", "Nguyễn"),
        person("Trần Thị Bích", "Bích", "Trần"),
        person("Lê Hoàng Minh", "Minh", "Lê"),
        person("Phạm Thu Hương", "Hương", "Phạm"),
    ],
    streets: &["12 Nguyễn Huệ", "45 Hàng Bạc", "78 Lê Duẩn, Tầng 3"],
    carriers: &[carrier("Giao Hàng Nhanh", "GHN", 9), carrier("J&T Express", "84", 10)],
    payment_methods: &["Cash on delivery", "ZaloPay", "MoMo"],
    phone: "(+84)9#****###",
    on_hold_per_mille: 20,
    cod_per_mille: 400,
    delivery_options: &["Giao hàng tiêu chuẩn", "Hỏa tốc"],
};

pub(crate) static JP: Market = Market {
    region: "JP",
    country: "日本",
    currency: Currency { code: "JPY", decimals: 0, trim_zeros: true },
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
        Person { name: "山田 太郎", first: "Taro", last: "Yamada", local: Some(("タロウ", "ヤマダ")) },
        Person { name: "佐藤 花子", first: "Hanako", last: "Sato", local: Some(("ハナコ", "サトウ")) },
        Person { name: "ジョン スミス", first: "John", last: "Smith", local: Some(("ジョン", "スミス")) },
    ],
    streets: &["1-2-3 神南", "梅田2丁目4-9 グランフロント 12F"],
    carriers: &[carrier("ヤマト運輸", "", 12), carrier("佐川急便", "", 12)],
    payment_methods: &["CCDC", "PayPay", "コンビニ払い"],
    phone: "(+81)90-****-####",
    on_hold_per_mille: 20,
    cod_per_mille: 0,
    delivery_options: &["通常配送"],
};

pub(crate) static MY: Market = Market {
    region: "MY",
    country: "Malaysia",
    currency: Currency { code: "MYR", decimals: 2, trim_zeros: false },
    fx: (47, 10),
    price_step: 10,
    shipping_fee: 490,
    free_shipping_over: 5000,
    level_names: &["Country", "State", "City"],
    places: &[place(&["Selangor", "Petaling Jaya"], "MY-10", "46###"), place(&["Pulau Pinang", "George Town"], "MY-07", "10###")],
    people: &[person("Ahmad bin Ismail", "Ahmad", "Ismail"), person("Tan Wei Ling", "Wei Ling", "Tan")],
    streets: &["No. 8, Jalan SS 2/24", "22 Lebuh Chulia"],
    carriers: &[carrier("J&T Express", "63", 10), carrier("Ninja Van", "NVMY", 12)],
    payment_methods: &["Touch 'n Go eWallet", "Cash on delivery", "CCDC"],
    phone: "(+60)1#-***-####",
    on_hold_per_mille: 20,
    cod_per_mille: 150,
    delivery_options: &["Standard Delivery"],
};
