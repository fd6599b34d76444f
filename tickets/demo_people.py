"""The demo directory's organizations and people (tickets.demo adds dated subscriptions).

Every company is fictional. Phone numbers come from ranges set aside for drama and fiction
where the country has one (UK Ofcom 020 7946 0xxx, 0113/0117/0131/0161 496 0xxx; US 555-01xx;
Germany 030 23125, 040 66969, 069 90009, 089 99998; France 01 99 00, 02 61 91, 04 65 71;
Sweden 031-390 06, 08-465 004; Australia 02 5550, 08 7010) and are otherwise made-up numbers
that `phonenumbers` accepts as valid for the country. Phones are written the way people in
each country write them; the import stores them as E.164.

A person is (user ID local part, first name, last name, phone, primary contact?, roles).
"""

from __future__ import annotations

from typing import Any

from tickets.demo_vianet import VIANET_ORGANIZATIONS

A, B, I = "admin", "billing_admin", "ims_billing_admin"  # noqa: E741 - role shorthands


def _org(
    ref: str,
    name: str,
    country: str,
    domain: str,
    street_lines: list[str],
    city: str,
    region: str,
    postal_code: str,
    people: list[tuple[str, str, str, str, bool, tuple[str, ...]]],
    url: str | None = None,
) -> dict[str, Any]:
    return {
        "ref": ref,
        "name": name,
        "country": country,
        "domain": domain,
        "url": url,
        "address": {"street_lines": street_lines, "city": city, "region": region, "postal_code": postal_code},
        "people": people,
    }


ORGANIZATIONS: list[dict[str, Any]] = [
    # --- United Kingdom ------------------------------------------------------------------
    _org("ORG-0001", "Contoso Ltd.", "GB", "contoso.co.uk",
         ["1 Victoria Street", "Floor 3"], "London", "", "SW1H 0ET", [
             ("ann.smith", "Ann", "Smith", "020 7946 0958", True, (A, B)),
             ("tom.baker", "Tom", "Baker", "020 7946 0959", False, (A,)),
             ("priya.patel", "Priya", "Patel", "020 7946 0960", False, (I,)),
             ("oliver.reed", "Oliver", "Reed", "020 7946 0961", False, ()),
         ], url="contoso.crm11.dynamics.com"),
    _org("ORG-0002", "Fabrikam UK Ltd", "GB", "fabrikam.co.uk",
         ["Unit 4, Pomona Strand"], "Manchester", "Greater Manchester", "M16 0BA", [
             ("james.oconnor", "James", "O'Connor", "0161 496 0101", True, (A, B)),
             ("sophie.turner", "Sophie", "Turner", "0161 496 0102", False, (A,)),
         ]),
    _org("ORG-0003", "Northwind Traders Ltd", "GB", "northwindtraders.co.uk",
         ["12 Wellington Place"], "Leeds", "West Yorkshire", "LS1 4AP", [
             ("margaret.jones", "Margaret", "Jones", "0113 496 0101", True, ()),
             ("raj.kumar", "Raj", "Kumar", "0113 496 0102", False, (A, B)),
         ]),
    _org("ORG-0004", "Tailspin Toys plc", "GB", "tailspintoys.co.uk",
         ["45 George Street"], "Edinburgh", "", "EH2 2HT", [
             ("fiona.mcleod", "Fiona", "McLeod", "0131 496 0101", True, (A, B)),
             ("callum.reid", "Callum", "Reid", "0131 496 0102", False, (A,)),
         ], url="tailspintoys.crm11.dynamics.com"),
    _org("ORG-0005", "Woodgrove Bank plc", "GB", "woodgrovebank.co.uk",
         ["100 Temple Street", "Redcliffe"], "Bristol", "", "BS1 6AG", [
             ("helen.carter", "Helen", "Carter", "0117 496 0101", True, (A,)),
             ("david.shaw", "David", "Shaw", "0117 496 0102", False, (B,)),
         ]),
    # --- United States -------------------------------------------------------------------
    _org("ORG-0006", "Adventure Works Cycles Inc.", "US", "adventure-works.com",
         ["1200 Fifth Avenue", "Suite 1500"], "Seattle", "WA", "98101", [
             ("kevin.liu", "Kevin", "Liu", "(206) 555-0101", True, (A, B)),
             ("maria.garcia", "Maria", "Garcia", "(206) 555-0102", False, (I,)),
         ], url="adventureworks.crm.dynamics.com"),
    _org("ORG-0007", "Wide World Importers LLC", "US", "wideworldimporters.com",
         ["350 Fifth Avenue", "Floor 21"], "New York", "NY", "10118", [
             ("sarah.johnson", "Sarah", "Johnson", "(212) 555-0101", True, (A, B)),
             ("michael.brown", "Michael", "Brown", "(212) 555-0102", False, ()),
         ], url="wideworldimporters.crm.dynamics.com"),
    _org("ORG-0008", "Litware Inc.", "US", "litware.com",
         ["600 Congress Avenue", "Suite 1400"], "Austin", "TX", "78701", [
             ("emily.davis", "Emily", "Davis", "(512) 555-0101", True, (A, B)),
             ("carlos.ramirez", "Carlos", "Ramirez", "(512) 555-0102", False, (A,)),
         ]),
    _org("ORG-0009", "Proseware Inc.", "US", "proseware.com",
         ["233 South Wacker Drive", "Suite 8400"], "Chicago", "IL", "60606", [
             ("linda.wilson", "Linda", "Wilson", "(312) 555-0101", True, ()),
             ("robert.taylor", "Robert", "Taylor", "(312) 555-0102", False, (A, B)),
             ("nina.kowalski", "Nina", "Kowalski", "(312) 555-0103", False, (I,)),
         ], url="proseware.crm.dynamics.com"),
    _org("ORG-0010", "Fourth Coffee Company", "US", "fourthcoffee.com",
         ["100 Summer Street"], "Boston", "MA", "02110", [
             ("jessica.moore", "Jessica", "Moore", "(617) 555-0101", True, (A, B)),
             ("daniel.white", "Daniel", "White", "(617) 555-0102", False, ()),
         ]),
    # --- Germany -------------------------------------------------------------------------
    _org("ORG-0011", "Müller Präzisionstechnik GmbH", "DE", "mueller-praezision.de",
         ["Leopoldstraße 31"], "München", "Bayern", "80802", [
             ("juergen.weiss", "Jürgen", "Weiß", "089 99998 101", True, (A, B)),
             ("anna.schneider", "Anna", "Schneider", "089 99998 102", False, (A,)),
             ("lukas.becker", "Lukas", "Becker", "089 99998 103", False, ()),
         ], url="muellerpraezision.crm4.dynamics.com"),
    _org("ORG-0012", "Schäfer & Söhne Logistik GmbH & Co. KG", "DE", "schaefer-logistik.de",
         ["Am Sandtorkai 50"], "Hamburg", "Hamburg", "20457", [
             ("katrin.schaefer", "Katrin", "Schäfer", "040 66969 101", True, (A, B)),
             ("felix.wagner", "Felix", "Wagner", "040 66969 102", False, (A,)),
         ]),
    _org("ORG-0013", "Alpine Ski House GmbH", "DE", "alpineskihouse.de",
         ["Friedrichstraße 68"], "Berlin", "Berlin", "10117", [
             ("stefan.hoffmann", "Stefan", "Hoffmann", "030 23125 101", True, (A, B)),
             ("julia.fischer", "Julia", "Fischer", "030 23125 102", False, ()),
         ]),
    _org("ORG-0014", "Rheinblick Energie AG", "DE", "rheinblick-energie.de",
         ["Mainzer Landstraße 16"], "Frankfurt am Main", "Hessen", "60325", [
             ("claudia.koch", "Claudia", "Koch", "069 90009 101", True, (A, B)),
             ("markus.richter", "Markus", "Richter", "069 90009 102", False, (A,)),
         ], url="rheinblick.crm4.dynamics.com"),
    # --- France --------------------------------------------------------------------------
    _org("ORG-0015", "Société Lumière et Fils SA", "FR", "lumiere-fils.fr",
         ["24 rue de la République"], "Lyon", "Auvergne-Rhône-Alpes", "69002", [
             ("helene.dubois", "Hélène", "Dubois", "04 65 71 10 01", True, (A, B)),
             ("francois.leroy", "François", "Leroy", "04 65 71 10 02", False, (I,)),
             ("camille.martin", "Camille", "Martin", "04 65 71 10 03", False, ()),
         ], url="lumierefils.crm12.dynamics.com"),
    _org("ORG-0016", "Boulangeries Dupré SARL", "FR", "boulangeries-dupre.fr",
         ["18 rue du Faubourg Saint-Honoré"], "Paris", "Île-de-France", "75008", [
             ("pierre.dupre", "Pierre", "Dupré", "01 99 00 10 01", True, (A, B)),
             ("elodie.bernard", "Élodie", "Bernard", "01 99 00 10 02", False, ()),
         ]),
    _org("ORG-0017", "Compagnie Générale d'Équipements Côte d'Azur", "FR", "cge-cotedazur.fr",
         ["5 promenade des Anglais"], "Nice", "Provence-Alpes-Côte d'Azur", "06000", [
             ("laurent.giraud", "Laurent", "Giraud", "04 65 71 20 01", True, (A, B)),
             ("ines.moreau", "Inès", "Moreau", "04 65 71 20 02", False, (A,)),
         ]),
    _org("ORG-0018", "Atelier Bréhat SAS", "FR", "atelier-brehat.fr",
         ["9 quai Duguay-Trouin"], "Rennes", "Bretagne", "35000", [
             ("yann.le-gall", "Yann", "Le Gall", "02 61 91 10 01", True, (A, B)),
             ("maelle.guen", "Maëlle", "Guen", "02 61 91 10 02", False, ()),
         ]),
    # --- China (Office 365 operated by 21Vianet serves mainland China) ------------------
    _org("ORG-0019", "北京云帆科技有限公司", "CN", "yunfan-tech.cn",
         ["朝阳区建国路88号", "SOHO现代城3号楼1205室"], "北京市", "", "100022", [
             ("wang.wei", "伟", "王", "010 6512 3456", True, (A, B)),
             ("li.na", "娜", "李", "010 6512 3457", False, (A,)),
             ("zhang.min", "敏", "张", "138 0013 8000", False, ()),
         ]),
    _org("ORG-0020", "Shanghai Harbour Logistics Co., Ltd.", "CN", "shharbour-logistics.cn",
         ["1000 Lujiazui Ring Road", "Room 2301"], "Shanghai", "Shanghai", "200120", [
             ("chen.jing", "Jing", "Chen", "021 6234 5678", True, (A, B)),
             ("zhou.tao", "Tao", "Zhou", "021 6234 5679", False, ()),
         ]),
    _org("ORG-0021", "Shenzhen Brightwave Electronics Co., Ltd.", "CN", "brightwave-sz.cn",
         ["9 Keji South 12th Road", "Nanshan District"], "Shenzhen", "Guangdong", "518057", [
             ("liu.yang", "Yang", "Liu", "0755 8612 3456", True, ()),
             ("huang.lei", "Lei", "Huang", "0755 8612 3457", False, (A, B)),
         ]),
    _org("ORG-0022", "Hangzhou West Lake Tea Trading Co., Ltd.", "CN", "westlaketea.cn",
         ["158 Longjing Road", "Xihu District"], "Hangzhou", "Zhejiang", "310013", [
             ("xu.ming", "Ming", "Xu", "0571 8765 4321", True, (A, B)),
             ("sun.li", "Li", "Sun", "0571 8765 4322", False, (A,)),
         ]),
    _org("ORG-0023", "Chengdu Panda Games Co., Ltd.", "CN", "pandagames-cd.cn",
         ["88 Tianfu Avenue Middle Section", "Building B, 7th Floor"], "Chengdu", "Sichuan", "610041", [
             ("zhao.lin", "Lin", "Zhao", "028 8512 3456", True, (A, B)),
             ("wu.hao", "Hao", "Wu", "028 8512 3457", False, ()),
         ]),
    _org("ORG-0024", "Guangzhou Pearl River Textiles Co., Ltd.", "CN", "pearlriver-textiles.cn",
         ["208 Tianhe Road", "Tianhe District"], "Guangzhou", "Guangdong", "510620", [
             ("he.xiaoyan", "Xiaoyan", "He", "020 8765 4321", True, (A, B)),
             ("ma.jun", "Jun", "Ma", "020 8765 4322", False, (A,)),
         ]),
    _org("ORG-0025", "Suzhou Lakeside Data Co., Ltd.", "CN", "lakeside-data.cn",
         ["328 Xinghu Street", "Suzhou Industrial Park"], "Suzhou", "Jiangsu", "215123", [
             ("gao.fei", "Fei", "Gao", "0512 6789 0123", True, ()),
             ("lin.qiang", "Qiang", "Lin", "0512 6789 0124", False, (A, B)),
         ]),
    _org("ORG-0026", "Wuhan Riverside Manufacturing Co., Ltd.", "CN", "riverside-wh.cn",
         ["77 Zhongbei Road", "Wuchang District"], "Wuhan", "Hubei", "430071", [
             ("yang.fan", "Fan", "Yang", "027 8765 1234", True, (A, B)),
             ("deng.hui", "Hui", "Deng", "027 8765 1235", False, ()),
         ]),
    # --- Japan ---------------------------------------------------------------------------
    _org("ORG-0027", "株式会社さくら精機", "JP", "sakura-seiki.co.jp",
         ["丸の内一丁目1番1号", "パレスビル5階"], "千代田区", "東京都", "100-0005", [
             ("hanako.sato", "花子", "佐藤", "03-3211-4567", True, (A, B)),
             ("ichiro.suzuki", "一郎", "鈴木", "03-3211-4568", False, (A,)),
         ]),
    _org("ORG-0028", "Kansai Robotics K.K.", "JP", "kansai-robotics.co.jp",
         ["3-1-3 Umeda, Kita-ku", "Grand Front Tower B 12F"], "Osaka", "Osaka", "530-0001", [
             ("kenji.tanaka", "Kenji", "Tanaka", "06-6341-2345", True, (A, B)),
             ("yuki.yamamoto", "Yuki", "Yamamoto", "06-6341-2346", False, ()),
         ], url="kansairobotics.crm7.dynamics.com"),
    _org("ORG-0029", "Nagoya Precision Tools Co., Ltd.", "JP", "nagoya-ptools.co.jp",
         ["1-1-1 Sakae, Naka-ku"], "Nagoya", "Aichi", "460-0008", [
             ("takeshi.ito", "Takeshi", "Ito", "052-961-3456", True, (A, B)),
             ("aiko.kobayashi", "Aiko", "Kobayashi", "052-961-3457", False, (A,)),
         ]),
    # --- India ---------------------------------------------------------------------------
    _org("ORG-0030", "Kaveri Software Solutions Pvt. Ltd.", "IN", "kaverisoft.in",
         ["No. 42, MG Road", "Prestige Meridian II, 6th Floor"], "Bengaluru", "Karnataka", "560001", [
             ("arjun.rao", "Arjun", "Rao", "080 4123 4567", True, ()),
             ("deepa.nair", "Deepa", "Nair", "080 4123 4568", False, (A, B)),
         ]),
    _org("ORG-0031", "Margie's Travel India Pvt. Ltd.", "IN", "margiestravel.in",
         ["Nariman Point, Free Press House", "Office 1102"], "Mumbai", "Maharashtra", "400021", [
             ("vikram.shah", "Vikram", "Shah", "022 2266 3456", True, (A, B)),
             ("ananya.iyer", "Ananya", "Iyer", "022 2266 3457", False, (A,)),
         ], url="margiestravel.crm8.dynamics.com"),
    _org("ORG-0032", "Lamna Healthcare India Pvt. Ltd.", "IN", "lamnahealth.in",
         ["14 Barakhamba Road", "Connaught Place"], "New Delhi", "Delhi", "110001", [
             ("rohit.verma", "Rohit", "Verma", "011 2334 5678", True, (A, B)),
             ("sneha.gupta", "Sneha", "Gupta", "011 2334 5679", False, ()),
         ]),
    # --- Brazil --------------------------------------------------------------------------
    _org("ORG-0033", "Indústria Paulista de Embalagens Ltda.", "BR", "paulista-embalagens.com.br",
         ["Avenida Paulista, 1578", "Conjunto 142"], "São Paulo", "SP", "01310-200", [
             ("joao.conceicao", "João", "Conceição", "(11) 3456-7801", True, (A, B)),
             ("beatriz.souza", "Beatriz", "Souza", "(11) 3456-7802", False, (A,)),
         ]),
    _org("ORG-0034", "Café Serra Azul Comércio Ltda.", "BR", "serraazul.com.br",
         ["Rua da Bahia, 1148", "Sala 703"], "Belo Horizonte", "MG", "30160-011", [
             ("marcos.oliveira", "Marcos", "Oliveira", "(31) 3222-4567", True, (A, B)),
             ("larissa.costa", "Larissa", "Costa", "(31) 3222-4568", False, ()),
         ]),
    _org("ORG-0035", "Rio Atlântico Turismo S.A.", "BR", "rioatlantico.com.br",
         ["Avenida Rio Branco, 156", "Sala 2410"], "Rio de Janeiro", "RJ", "20040-003", [
             ("fernanda.lima", "Fernanda", "Lima", "(21) 2533-4567", True, (A, B)),
             ("rafael.pereira", "Rafael", "Pereira", "(21) 2533-4568", False, (I,)),
         ], url="rioatlantico.crm2.dynamics.com"),
    # --- Spain ---------------------------------------------------------------------------
    _org("ORG-0036", "Construcciones Ibéricas S.L.", "ES", "construcciones-ibericas.es",
         ["Calle de Alcalá, 45", "3.º izquierda"], "Madrid", "Madrid", "28014", [
             ("jose.martinez", "José", "Martínez", "912 345 601", True, (A, B)),
             ("lucia.fernandez", "Lucía", "Fernández", "912 345 602", False, ()),
         ]),
    _org("ORG-0037", "Bodegas Martínez Peña S.A.", "ES", "bodegasmartinezpena.es",
         ["Avenida de la Constitución, 20"], "Sevilla", "Andalucía", "41004", [
             ("carmen.pena", "Carmen", "Peña", "954 221 301", True, (A, B)),
             ("alvaro.ruiz", "Álvaro", "Ruiz", "954 221 302", False, (A,)),
         ], url="bodegasmp.crm4.dynamics.com"),
    # --- Netherlands ---------------------------------------------------------------------
    _org("ORG-0038", "Van der Berg Logistiek B.V.", "NL", "vanderberg-logistiek.nl",
         ["Wilhelminakade 91"], "Rotterdam", "Zuid-Holland", "3072 AP", [
             ("pieter.vandenberg", "Pieter", "van den Berg", "010 765 4321", True, (A, B)),
             ("sanne.devries", "Sanne", "de Vries", "010 765 4322", False, ()),
         ]),
    _org("ORG-0039", "Tulp & Co. Design B.V.", "NL", "tulpdesign.nl",
         ["Herengracht 182"], "Amsterdam", "Noord-Holland", "1016 BR", [
             ("eva.janssen", "Eva", "Janssen", "020 624 5601", True, (A, B)),
             ("daan.bakker", "Daan", "Bakker", "020 624 5602", False, (A,)),
         ]),
    # --- Sweden --------------------------------------------------------------------------
    _org("ORG-0040", "Åkesson & Söner AB", "SE", "akesson-soner.se",
         ["Södra Hamngatan 37"], "Göteborg", "Västra Götaland", "411 06", [
             ("bjorn.akesson", "Björn", "Åkesson", "031-390 06 01", True, (A, B)),
             ("karin.lindqvist", "Karin", "Lindqvist", "031-390 06 02", False, ()),
         ]),
    _org("ORG-0041", "Nordljus Media AB", "SE", "nordljus.se",
         ["Kungsgatan 12"], "Stockholm", "Stockholms län", "111 43", [
             ("elin.johansson", "Elin", "Johansson", "08-465 004 01", True, (A, B)),
             ("oskar.nilsson", "Oskar", "Nilsson", "08-465 004 02", False, (A,)),
         ], url="nordljus.crm4.dynamics.com"),
    # --- Australia -----------------------------------------------------------------------
    _org("ORG-0042", "Koala Creek Wines Pty Ltd", "AU", "koalacreekwines.com.au",
         ["Level 9, 91 King William Street"], "Adelaide", "SA", "5000", [
             ("olivia.nguyen", "Olivia", "Nguyen", "08 7010 1234", True, (A, B)),
             ("jack.thompson", "Jack", "Thompson", "08 7010 1235", False, ()),
         ]),
    _org("ORG-0043", "Coho Winery Australia Pty Ltd", "AU", "cohowinery.com.au",
         ["Level 20, 1 Market Street"], "Sydney", "NSW", "2000", [
             ("chloe.wilson", "Chloe", "Wilson", "02 5550 1234", True, (A, B)),
             ("liam.harris", "Liam", "Harris", "02 5550 1235", False, (A,)),
         ]),
]

# The 21Vianet desk's day (Chinese names and addresses): tickets.demo_vianet.
ORGANIZATIONS += VIANET_ORGANIZATIONS
