//! Market tables of shop 1 and every odd shop: Indonesia and Vietnam
//! (currencies without decimals, cash on delivery, L3/L4 district levels,
//! Vietnamese diacritics) and Malaysia (three levels only).

use crate::world::markets::market::{Market, carrier, person, place};
use crate::world::money::Currency;

pub(crate) static ID: Market = Market {
    region: "ID",
    country: "Indonesia",
    currency: Currency {
        code: "IDR",
        decimals: 0,
        trim_zeros: true,
    },
    fx: (160, 1),
    price_step: 100,
    shipping_fee: 15_000,
    free_shipping_over: 150_000,
    level_names: &["Country", "Province", "City", "District", "Village"],
    places: &[
        place(
            &[
                "DKI Jakarta",
                "Jakarta Selatan",
                "Kebayoran Baru",
                "Gandaria Utara",
            ],
            "ID-JK",
            "121##",
        ),
        place(
            &["Jawa Barat", "Kota Bandung", "Coblong", "Dago"],
            "ID-JB",
            "401##",
        ),
        place(
            &["Jawa Timur", "Kota Surabaya", "Gubeng", "Airlangga"],
            "ID-JI",
            "602##",
        ),
    ],
    people: &[
        person("Budi Santoso", "Budi", "Santoso"),
        person("Siti Rahayu", "Siti", "Rahayu"),
        person("Dewi Lestari", "Dewi", "Lestari"),
    ],
    streets: &[
        "Jl. Gandaria I No. 12",
        "Jl. Ir. H. Juanda No. 45",
        "Jl. Airlangga No. 7, RT 02/RW 05",
    ],
    carriers: &[
        carrier("J&T Express", "JP", 10),
        carrier("SiCepat", "00", 10),
    ],
    payment_methods: &["GoPay", "DANA", "Bank transfer"],
    phone: "(+62)8##****####",
    on_hold_per_mille: 20,
    cod_per_mille: 250,
    delivery_options: &["Reguler", "Hemat", "Kargo"],
};

pub(crate) static VN: Market = Market {
    region: "VN",
    country: "Vietnam",
    currency: Currency {
        code: "VND",
        decimals: 0,
        trim_zeros: true,
    },
    fx: (250, 1),
    price_step: 1000,
    shipping_fee: 30_000,
    free_shipping_over: 300_000,
    level_names: &["Country", "Province", "District", "Ward"],
    places: &[
        place(
            &["Hồ Chí Minh", "Quận 1", "Phường Bến Nghé"],
            "VN-SG",
            "700###",
        ),
        place(
            &["Hà Nội", "Quận Hoàn Kiếm", "Phường Hàng Bạc"],
            "VN-HN",
            "100###",
        ),
        place(
            &["Đà Nẵng", "Quận Hải Châu", "Phường Thạch Thang"],
            "VN-DN",
            "550###",
        ),
    ],
    people: &[
        person("Nguyễn Văn An", "An", "Nguyễn"),
        person("Trần Thị Bích", "Bích", "Trần"),
        person("Lê Hoàng Minh", "Minh", "Lê"),
        person("Phạm Thu Hương", "Hương", "Phạm"),
    ],
    streets: &["12 Nguyễn Huệ", "45 Hàng Bạc", "78 Lê Duẩn, Tầng 3"],
    carriers: &[
        carrier("Giao Hàng Nhanh", "GHN", 9),
        carrier("J&T Express", "84", 10),
    ],
    payment_methods: &["ZaloPay", "MoMo"],
    phone: "(+84)9#****###",
    on_hold_per_mille: 20,
    cod_per_mille: 400,
    delivery_options: &["Giao hàng tiêu chuẩn", "Hỏa tốc"],
};

pub(crate) static MY: Market = Market {
    region: "MY",
    country: "Malaysia",
    currency: Currency {
        code: "MYR",
        decimals: 2,
        trim_zeros: false,
    },
    fx: (47, 10),
    price_step: 10,
    shipping_fee: 490,
    free_shipping_over: 5000,
    level_names: &["Country", "State", "City"],
    places: &[
        place(&["Selangor", "Petaling Jaya"], "MY-10", "46###"),
        place(&["Pulau Pinang", "George Town"], "MY-07", "10###"),
    ],
    people: &[
        person("Ahmad bin Ismail", "Ahmad", "Ismail"),
        person("Tan Wei Ling", "Wei Ling", "Tan"),
    ],
    streets: &["No. 8, Jalan SS 2/24", "22 Lebuh Chulia"],
    carriers: &[
        carrier("J&T Express", "63", 10),
        carrier("Ninja Van", "NVMY", 12),
    ],
    payment_methods: &["Touch 'n Go eWallet", "CCDC"],
    phone: "(+60)1#-***-####",
    on_hold_per_mille: 20,
    cod_per_mille: 150,
    delivery_options: &["Standard Delivery"],
};
