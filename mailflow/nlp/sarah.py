"""Lex Sarah in plain words: the kinds of misconduct in care under SoL and LSS, and where a text says one.

Lex Sarah (SoL 14 kap., LSS 24 a-g §§, SOSFS 2011:5) covers "missförhållanden och
påtagliga risker för missförhållanden": acts and omissions that are a serious
threat to a person's life, safety or health. The kinds below follow the kinds
of misconduct the guidance names, in everyday Swedish, English and Finnish:

- physical abuse (hitting, pinching, pushing, rough handling),
- degrading treatment and threats (mocking, insults, humiliation, filming, left naked),
- sexual abuse,
- financial abuse (theft, "borrowing" money, misuse of a bank card),
- medication errors (the wrong medicine or dose, doses missed, sedatives without prescription),
- neglect (left alone, unfed, in urine or faeces, pressure sores, nobody came, an alarm out of reach),
- a person with dementia left without supervision (found outside, the door left open),
- falls from neglect (lying for hours, nobody noticed),
- restraint and coercion without legal basis (belts, locked in, held down, forced),
- a serious risk (life-threatening, a fire risk with oxygen).

A kind fires on words that are misconduct by themselves (`alone`), or on an
act said together with what makes it misconduct (`act` and `given` in the same
sentence, or the next one): "lämnade" is no misconduct, "lämnade henne naken"
is. Entries follow the lexicon's notation (`mailflow.lexicon`): a word stem,
a phrase, " * " for up to three words, a trailing blank for a whole word.

The legal words themselves ("lex Sarah", "missförhållande") count only where a
sentence asserts them, not where it denies them ("det här är INTE något sådant")
or supposes them ("om det hade hänt på ett äldreboende ...").

Whether the text is about care under SoL or LSS at all is decided by the
caller (`mailflow.pipeline.classify`); these lists only find the misconduct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailflow import lexicon

# someone the act is done to (the words after or before a verb like "slår")
PERSON = (
    "honom ", "henne ", "hen ", "dem ", "dom ", "min ", "mitt ", "mina ", "hans ", "hennes ", "pappa", "mamma",
    "mor ", "far ", "farmor", "mormor", "farfar", "morfar", "son ", "sonen", "dotter", "dottern", "barnet",
    "barnen", "boende", "brukar", "deltagar", "patient", "vårdtagar", "omsorgstagar", "kund", "elev",
    "him ", "her ", "them ", "my ", "resident", "client", "patient", "father", "mother", "dad ", "mum ",
    "häntä", "heitä", "äiti", "isä", "asukas", "asiakas",
)
# insults and curses said to someone ("fy fan vad du luktar", "kärringar")
INSULTS = (
    "fy fan", "jävla", "jävel", "helvete", "kärring", "gubbjävel", "fyllo", "idiot", "dum i huvudet",
    "dumma i huvudet", "äckel", "äcklig", "mongo", "cp-", "efterbliven",
    "stupid", "idiot", "disgusting", "fucking", "bitch", "old hag", "retard", "smelly",
    "saatana", "perkele", "vitun", "ääliö", "idioot", "tyhmä", "haiset",
)
SPEECH = ("sa ", "sade ", "säger", "säga ", "kallade", "kallar", "kallat", "skrek", "skriker", "väste", "fräste",
          "said", "says", "call ", "called", "calls", "told", "shout", "yell", "sanoi", "sanoo", "huusi", "huutaa",
          "haukkui", "kutsui")


@dataclass(frozen=True)
class MisconductKind:
    name: str
    alone: tuple[str, ...]  # misconduct said outright
    act: tuple[str, ...] = ()  # ... or an act
    given: tuple[str, ...] = ()  # with what makes it misconduct, in the same sentence or the next
    same_sentence: bool = False  # the pair must stand in one sentence
    unless: tuple[str, ...] = ()  # words that make the pair something else (a payment that has not come)
    to_person: bool = False  # said to a person in care: not of the writer's own feelings, nor a threatened decision


KINDS: tuple[MisconductKind, ...] = (
    MisconductKind(
        "physical",
        alone=(
            "misshandel", "misshandla", "*misshandel", "övergrepp", "*övergrepp", "örfil", "luggade", "luggat",
            "sparkade ", "sparkat ", "knuffade", "knuffat", "knuffad", "nöp ", "nyper ", "nypit", "nypte", "nypa ",
            "hårdhänt", "hårdhänta", "slet i", "slet henne", "slet honom", "ryckte i", "drog henne i", "drog honom i",
            "drog i håret", "våldsam", "våld mot", "tog stryptag", "slog henne", "slog honom", "slog min", "slog mig",
            "slagit henne", "slagit honom", "slagen av", "slagit pappa", "slagit mamma", "drog upp henne",
            "drog upp honom", "ryckte", "pushed her", "pushed him",
            "abuse", "abused", "abusing", "assault", "slapped", "slapping", "kicked her", "kicked him", "punched",
            "pinched", "pinching", "shoved", "hit her", "hit him", "hitting her", "hitting him", "roughly",
            "rough handling", "manhandl", "violent", "violence", "pulled her hair", "pulled his hair", "yanked",
            "pahoinpitel", "kaltoin", "lyönyt", "löi häntä", "löi äitiä", "löi isää", "potkaisi", "tönäisi",
            "nipisti", "väkivalta", "väkivaltai", "kovakoura", "repi häntä",
        ),
        act=("slå ", "slår ", "slog ", "slagit", "slagits", "slagen", "sparka", "beat ", "beaten", "beats ",
             "lyö", "löi "),
        given=PERSON, same_sentence=True,
    ),
    MisconductKind(
        "rough handling",
        alone=(),
        act=("dra ", "drar ", "drog ", "dragit", "tog tag i", "tar tag i", "grep ", "griper", "tryckte", "trycker",
             "vred ", "vrider", "slängde", "kastade", "pulled", "pulling", "dragged", "dragging", "grabbed",
             "grabbing", "twisted", "squeezed", "veti ", "vetää", "tarttui", "riuhtoi", "tönäisi"),
        given=("i armen", "i armarna", "i håret", "i benet", "i nacken", "i handleden", "hårt", "så att hon",
               "så att han", "blåmärk", "sår ", "ett sår", "grät", "skrek", "ont ", "by the arm", "by her arm",
               "by his arm", "by the hair", "her hair", "his hair", "roughly", "bruis", "cried", "screamed",
               "käsivarresta", "hiuksista", "mustelm", "itki"),
        same_sentence=True,
    ),
    MisconductKind(
        "degrading",
        alone=(
            "inte får äta om", "får inte äta om", "inte får någon mat om", "ingen mat om", "no food unless",
            "no dinner unless", "kränkande behandling", "förnedra", "förnedrande", "förödmjuk", "hånade", "hånar ",
            "hånat", "hånfull",
            "härmade", "härmar ", "härmat", "härma ", "gjorde narr", "gör narr", "förlöjlig", "skrek åt",
            "skriker åt",
            "gapade åt", "röt åt", "hotade", "hotar ", "hotat", "hot om", "skrämde", "skrämmer",
            "kallade henne för", "kallade honom för", "kallar henne för", "kallar honom för", "kallade de boende",
            "kallar de boende",
            "humiliat", "degrading", "degraded", "mocked", "mocking", "mocks ", "ridicul", "made fun of",
            "makes fun of", "making fun of", "make fun of", "shout at", "shouts at", "shouting at", "yell at",
            "yells at", "yelling at", "scream at", "skriker på", "skrek på", "skriker åt henne", "threatened",
            "threatening", "threatens", "shouted at", "yelled at", "screamed at",
            "swore at", "called her a", "called him a", "nöyryyt", "pilkkas", "pilkkaa", "uhkasi", "uhkailee",
            "uhkaili", "huusi hänelle", "huusi äidille", "huusi isälle", "huutaa äidille", "huutaa isälle", "haukkui",
            "nimitteli",
        ),
        act=INSULTS, given=SPEECH, same_sentence=True, to_person=True,
    ),
    MisconductKind(
        "left naked",
        alone=(),
        act=("naken", "nakna", "avklädd", "utan kläder", "naked", "undressed", "alasti"),
        given=("lämna", "gick ut", "gick därifrån", "frös", "öppen", "fick sitta", "fick stå", "fick ligga", "left ",
               "walked out", "cold", "freezing", "jätti", "jättivät", "palel"),
    ),
    MisconductKind(
        "filmed",
        alone=(),
        act=("filmade", "filmat", "filmar ", "spelade in", "spelat in", "fotade", "fotograferade", "fotograferat",
             "tog bilder", "tagit bilder", "tar bilder",
             "filmed", "recorded", "photographed", "kuvasi", "videoi"),
        given=PERSON + ("skratta", "utbrott", "gruppchatt", "sociala medier", "snapchat", "instagram", "tiktok",
                        "laugh", "group chat", "social media", "nauro"),
        same_sentence=True,
    ),
    MisconductKind(
        "sexual",
        alone=("sexuell", "sexuella", "sexuellt", "tafsa", "tafsade", "ofredande", "ofredade", "våldtäkt",
               "våldtog", "blottade", "sexual", "groped", "groping", "molest", "raped", "indecent", "seksuaal",
               "ahdistel", "raiskas", "kähmi"),
        # the intimate parts of a body touched ("har tagit henne på brösten", "touched her breasts")
        act=("brösten", "bröstet", "bröst ", "rumpan", "baken", "underlivet", "skrevet", "mellan benen", "könsorgan",
             "breasts", "breast ", "bottom", "buttocks", "genitals", "between her legs", "between his legs",
             "rintoj", "rinnoi", "takapuol", "haaroi", "jalkovä"),
        given=("tagit", "tog ", "tar ", "rört", "rörde", "rör ", "smekt", "smekte", "klämde", "klämt", "tafsa",
               "touched", "touching", "touches", "grabbed", "fondled", "squeezed", "koski", "kosketti", "kopeloi"),
        same_sentence=True,
    ),
    MisconductKind(
        # remarks or messages about a person's body from the one who should support them
        "sexual remarks",
        alone=("sexuella anspelningar", "sexual remarks", "sexual comments", "sexual messages",
               "seksuaalisia viestejä"),
        act=("kropp", "bröst", "body", "bodies", "vartalo", "kehosta", "kehostaan"),
        given=("kommentar", "kommenter", "sms", "meddelande", "skriver till", "skickar", "comment", "message", "texts ",
               "texting", "texted", "viest", "kommentoi", "tekstiviest"),
        same_sentence=True,
    ),
    MisconductKind(
        "financial",
        alone=("stöld", "stölder", "stal ", "stulit", "stulen", "stulna", "stjäl ", "förskingr", "tog pengar",
               "tagit pengar", "tar pengar", "lånat pengar", "lånar pengar", "lånade pengar", "pengar försvinner",
               "pengar har försvunnit", "pengarna saknas", "det saknas pengar", "fattas pengar", "pengar försvunnit",
               "stole ", "stolen", "steal", "theft", "thief", "took money", "taken money", "borrowed money",
               "money has gone", "money missing", "money is missing", "embezzl", "varasti", "varastan", "varastet",
               "varastiv", "varastaa", "varkau",
               "vei rahaa",
               "vienyt rahaa", "lainasi rahaa", "rahaa puuttuu", "rahaa on kadonnut"),
        act=("pengar", "pengarna", "kontant", "sedlar", "sedel", "femhundralapp", "hundralapp",
             "tusenlapp", "fickpengar", "kassan", "plånbok", "handväska", "handbag", "bankkort", "kortet",
             "kontokort", "betalkort", "pinkod",
             "koden till", "min kod", "hans kod", "hennes kod", "kontoutdrag", "smycke", "money", "cash",
             "wallet", "purse", "bank card", "pin code", "jewel", "raha", "rahat", "rahaa", "rahoj", "lompak",
             "pankkikort", "koru"),
        given=("försvunn", "försvinner", "försvann", "saknas", "saknades", "fattas", "borta", "låna", "lån ",
               "köp på", "köp från", "köp med", "tog * ur", "tagit * ur", "tar * ur", "took * from", "taken * from",
               "takes * from", "uttag", "tagit ut", "tog ut", "bad om min", "bad om hans",
               "bad om hennes", "bett om", "bett mig", "ber om", "frågat om", "gett henne", "gett honom",
               "missing", "asking", "ask for", "given her", "given him", "vienyt", "vei ", "ottanut", "otti ",
               "disappear", "gone", "withdraw", "purchases",
               "borrow", "asked for", "katos", "kadon", "puuttu", "hävin", "nosti", "lainas"),
        # money that has not come (a payment, a benefit) is no one's misconduct
        unless=("utbetalning", "försörjningsstöd", "ekonomiskt bistånd", "bistånd", "bidrag", "lönen", "ersättning",
                "payment", "benefit", "allowance", "toimeentulotuki", "maksu"),
    ),
    MisconductKind(
        # an amount is money gone only where the sentence says so: "det saknas 800 kr i plånboken", not the price
        # of a thing that was lost ("hörapparaten försvann ... Den kostade 6 000 kr")
        "financial",
        alone=(),
        act=("kronor", "kr ", "euro", "euroa"),
        given=("försvunn", "försvinner", "försvann", "saknas", "saknades", "fattas", "tog ut", "tagit ut", "uttag",
               "missing", "gone", "withdrawn", "puuttu", "kadon", "nosti"),
        same_sentence=True,
        unless=("utbetalning", "försörjningsstöd", "ekonomiskt bistånd", "bistånd", "bidrag", "lönen", "ersättning",
                "payment", "benefit", "allowance", "toimeentulotuki", "maksu"),
    ),
    MisconductKind(
        "belongings taken",
        alone=("tagit med sig hem", "took home", "taken home"),
        act=("mobil", "telefon", "surfplatta", "ipad", "dator", "tillhörighet", "saker ", "kläder", "phone",
             "tablet", "laptop", "belongings", "puhelin", "tabletti", "tavarat"),
        given=("tagit * hem", "tog * hem", "tar * hem", "låna", "tagit dem", "ifrån honom", "ifrån henne", "borrow",
               "away from him", "away from her",
               "took * home", "takes * home", "vienyt kotiin", "vei kotiin", "lainannut"),
        same_sentence=True,
    ),
    MisconductKind(
        "medication",
        alone=("fel medicin", "fel läkemedel", "fel tablett", "fel dos", "fel dosett", "dubbel dos", "dubbla doser",
               "dubbeldos", "överdos", "någon annans medicin", "någon annans tabletter", "annans mediciner",
               "båda doserna", "två doser", "fel mängd", "för hög dos", "för mycket medicin", "wrong amount",
               "too much medication", "too high a dose", "väärä annos", "liian suuri annos", "*dosen på en gång",
               "*doserna på en gång", "tabletter på en gång", "medicinen glömdes",
               "glömde ge", "tvångsmedicin", "double dose", "two doses", "overdose", "wrong medic", "wrong pill",
               "wrong tablet", "wrong dose", "someone else's pill", "someone else's medic", "missed medication",
               "väärä lääke", "väärät lääkkeet", "väärää lääkettä", "yliannos", "ilman lääkkeitä", "lääkkeet jäivät"),
        act=("medicin", "*medicin", "läkemedel", "*läkemedel", "tablett", "*tablett", "dos ", "doser", "doserna",
             "dosett", "insulin", "sömntablett",
             "sömnmedel", "lugnande", "smärtstillande", "morfin", "medication", "medicine", "pills", "tablets",
             "dose ", "doses", "sedative", "sleeping pill", "sleeping tablet", "lääke", "*lääke", "lääkkee",
             "insuliini",
             "unilääk", "rauhoittav"),
        given=("glömde", "glömt", "glöms", "missade", "missat", "uteblev", "inte fått", "inte har fått", "fick inte",
               "fick ingen", "inte gett", "inte gav", "inte givit", "utan ordination", "utan recept",
               "inte ordinerad",
               "inte förskriv", "utan läkar", "hålla honom lugn", "hålla henne lugn", "hålla dem lugn",
               "missed", "forgot", "forgotten", "not given", "wasn't given", "was not given", "never given",
               "without prescription", "without a prescription", "no prescription", "no such prescription",
               "not prescribed", "keep him calm", "keep her calm", "keep them calm", "orörd", "inte tagit",
               "annans", "annan patients", "annan boendes", "annan brukares", "another patient", "another resident",
               "someone else", "toisen", "två gånger", "twice", "kahdesti", "i saften", "i maten", "i kaffet",
               "i drycken", "in her food", "in his food", "in her drink", "in his drink", "ruokaan",
               "svimmade", "medvetslös", "unconscious", "tajuton", "inlagd", "admitted to hospital",
               "på en gång", "blandat ihop", "blandade ihop", "förväxl", "dubbla", "dubbel", "utan att fråga",
               "utan att läkare", "utan att * ordinera", "ingen * ordinerat", "inte * ordinerat", "untouched",
               "without anyone prescribing", "without a doctor", "kukaan ei ole määrännyt", "both doses", "at once",
               "mixed up", "double", "without asking",
               "without anyone asking", "without consulting", "unohd", "unoht", "jäi antamatta",
               "ilman reseptiä", "ei ole määrätty", "ei saanut", "ei antanut", "jättänyt antamatta"),
    ),
    MisconductKind(
        "neglect",
        alone=(
            "vanvård", "försummelse", "omsorgssvikt", "lämnad ensam", "lämnades ensam", "lämnade henne ensam",
            "lämnade honom ensam", "ensam hela natten", "ensam hela helgen", "ensam hela dagen", "utan mat",
            "utan vätska", "utan något att dricka", "inte fått mat", "inte fått äta", "inte fått dricka",
            "inte ätit sedan", "inte ätit på", "inte druckit", "uttorkad",
            "undernär", "avmagrad", "svalt", "svälter", "nedkissad", "nedbajsad", "genomblöt", "i sin egen avföring",
            "i sitt eget", "i sin egen urin", "låg i urin", "låg i avföring", "samma blöja", "inte bytts",
            "inte blivit bytt", "inte bytt", "fått sår", "stora sår", "left on the floor", "liggsår", "trycksår",
            "öppna sår", "låg på golvet", "låg * på golvet",
            "legat på golvet", "ligga på golvet", "ligga * på golvet", "legat * på golvet", "ligger * på golvet",
            "hittades på golvet", "på golvet hela", "ingen kom när",
            "kom ingen när", "ingen svarade på larmet", "utom räckhåll", "nå larmet", "utan tillsyn", "ingen tillsyn",
            "utan stöd i", "inte fått något stöd", "iskall", "kylen var tom", "tom kyl",
            "lämna en svårt sjuk", "empty fridge", "blev liggande", "fick ligga kvar", "smutsiga kläder",
            "samma kläder", "luktar urin", "luktade urin", "luktar kiss", "luktade kiss", "otvättad",
            "smelled of urine",
            "smells of urine", "dirty clothes", "unwashed", "same clothes", "left * alone", "lämnade * ensam",
            "lämnar * ensam", "leaves * alone",
            "lämnades * ensam", "lämnats * ensam", "lämnad * ensam", "jätettiin * yksin", "haisi virtsalle",
            "blöt blöja", "blöta blöjor", "våt blöja", "våta blöjor", "wet nappy", "wet diaper", "wet pad",
            "märkä vaippa", "kissat på sig", "bajsat på sig", "våta lakan", "blöta lakan",
            "urinindränkt", "har inte ätit", "hade inte ätit", "brännskad", "skållad", "burns ", "scalded",
            "märkään vaippaan",
            "märkä vaippa", "jätettiin yksin", "jätettiin koko", "utan att någon märkt", "utan att någon märkte",
            "utan att någon reagerade", "without anyone noticing",
            "neglect", "left alone", "left on her own", "left on his own", "left lying", "lying on the floor",
            "on the floor for", "left without", "without food", "without water", "had not eaten", "hadn't eaten",
            "had nothing to eat", "not eaten", "dehydrated", "malnourish", "starving", "soiled", "own faeces",
            "own feces", "own urine", "bedsore", "pressure sore", "pressure ulcer", "out of reach",
            "out of her reach", "out of his reach", "nobody came when", "no one came when", "without supervision",
            "unsupervised", "heitteillä", "laiminly", "ilman ruokaa", "ilman valvontaa", "nestehuk",
            "makuuhaava", "painehaava", "virtsassa", "ulosteessa", "ei ollut syönyt", "lattialla koko",
        ),
    ),
    MisconductKind(
        # weight lost is a sign, not misconduct by itself (it may be followed by a dietitian): it is neglect where
        # nobody noticed or helped, or the person was not given food
        "weight loss",
        alone=(),
        act=("gått ner * kilo", "gått ned * kilo", "tappat * kilo", "minskat * kilo", "rasat i vikt", "lost * kilos",
             "lost * kilo", "lost weight", "laihtun", "painoa * pudonnut"),
        given=("ingen märkte", "ingen har märkt", "ingen * märkt", "ingen reagera", "ingen har reagerat",
               "utan att någon", "ingen hjälp", "inte fått hjälp", "får ingen hjälp", "inte fått mat", "får ingen mat",
               "nobody noticed", "no one noticed", "nobody reacted", "no one reacted", "without anyone", "no help",
               "not given food", "ingen hjälper", "nobody helps", "no one helps", "kukaan ei huomannut",
               "kukaan ei reagoinut", "kukaan ei auta", "ei saa apua", "ei saanut apua"),
    ),
    MisconductKind(
        "meals not given",
        alone=(),
        act=("frukost", "lunch", "middag", "kvällsmat", "mat ", "maten", "måltid", "mellanmål", "att dricka",
             "breakfast", "lunch", "dinner", "supper", "meal", "food", "anything to drink", "aamupala", "ruoka",
             "lounas", "päivällinen", "juotavaa"),
        given=("inte fått", "fick ingen", "fick inte", "hade inte fått", "utan ", "ingen gav", "glömde ge",
               "not given", "no one gave", "nobody gave", "had no ", "without ", "went without", "ei saanut",
               "ei ollut saanut", "ei ole saanut", "hadn't been given", "had not been given", "inte hade fått",
               "ilman "),
        same_sentence=True,
        unless=("utbetalning", "försörjningsstöd", "bistånd", "bidrag", "ekonomisk", "payment", "benefit",
                "financial", "welfare", "toimeentulotuki"),
    ),
    MisconductKind(
        "food taken",
        alone=(),
        act=("hennes mat", "hans mat", "her food", "his food", "hennes kyl", "hans kyl", "her fridge", "his fridge"),
        given=("tar ", "tagit", "tog ", "äter ", "ätit", "åt upp", "taking", "took", "taken", "eating", "ate "),
        same_sentence=True,
    ),
    MisconductKind(
        "harm from neglect",
        alone=(),
        act=("sår ", "såren", "trycksår", "svamp", "infektion", "inlagd", "sjukhus", "akuten", "fraktur", "brutit",
             "svimmade", "medvetslös", "blödde", "uttorkad", "sores", "infection", "hospital", "fracture",
             "unconscious", "bleeding", "sairaala", "haava", "murtu", "tajuton"),
        given=("inte fått", "fick inte", "ingen hjälp", "ingen kom", "glömde", "glömt", "missade", "inte hjälp",
               "på * veckor", "i veckor", "not given", "never", "nobody", "no one", "without anyone",
               "for weeks", "ei saanut", "ei antanut", "kukaan ei", "viikkoihin"),
        same_sentence=True,
    ),
    MisconductKind(
        "left lying or sitting",
        alone=(),
        act=("*golvet", "floor", "lattialla", "lattialle", "rullstol", "wheelchair", "pyörätuoli"),
        given=("hela natten", "en hel natt", "hela dagen", "timmar ", "dygn", "ingen kom", "hours ", "all night",
               "nobody came", "no one came", "koko yön", "tuntia "),
    ),
    MisconductKind(
        "dementia unsupervised",
        alone=(),
        act=("demens", "dement", "minnessjuk", "alzheimer", "minnesproblem", "dementia", "muistisairau",
             "muistisairas", "dementoi"),
        given=("hittade henne ute", "hittade honom ute", "hittades", "i snön", "utomhus", "ute på gården",
               "ute på gatan",
               "ute mitt i natten", "i nattlinne", "i nattlinnet", "i pyjamas", "gått vilse", "gick vilse",
               "försvann", "på glänt", "dörren öppen", "dörren olåst", "olåst", "stod öppen", "found her outside",
               "found him outside", "wander", "went missing", "door open", "door unlocked", "unlocked",
               "left open", "nightdress", "eksyi", "katosi", "ovi auki", "yöpaidassa"),
    ),
    MisconductKind(
        "alarm unanswered",
        alone=("ingen svarade på larmet", "nobody answered the alarm"),
        act=("larm", "trygghetslarm", "alarm", "call button", "hälytys", "turvaranneke", "turvapuhelin"),
        given=("ingen kom", "kom ingen", "ingen svarade", "inte svarade", "svarade ingen", "ingen reagerade",
               "stänger av", "stängt av", "stängde av", "turn off", "turns off", "turned off", "switch off",
               "switched off", "kytke", "sammut",
               "nobody came", "no one came", "nobody answered", "no one answered", "kukaan ei tullut",
               "ei vastannut", "kukaan ei vastannut"),
    ),
    MisconductKind(
        "gone unnoticed",
        alone=(),
        act=("försvann", "gått ut", "gick ut", "hade gått", "var borta", "gått vilse", "gick vilse", "went missing",
             "walked out", "wander", "got lost", "katosi", "eksyi", "lähti"),
        given=("ingen märkte", "ingen hade märkt", "ingen * märkte", "ingen * hade märkt", "ingen * märkt",
               "nobody * noticed", "no one * noticed", "utan att någon", "visste inte", "polisen", "hittades",
               "nobody noticed", "no one noticed", "without anyone", "police", "kukaan ei huomannut", "poliisi"),
    ),
    MisconductKind(
        "fall",
        alone=(),
        act=("föll ", "ramlade", "ramlat", "fallit", "fell ", "fallen", "had a fall", "kaatui", "kaatunut"),
        given=("timmar ", "hela natten", "ingen kom", "ingen märkte", "ingen hade märkt",
               "hittades", "låg kvar", "ingen ringde", "inte upptäckt", "larmet", "hours ", "all night",
               "nobody noticed", "no one noticed", "nobody came", "no one came", "before anyone", "without anyone",
               "tuntia ",
               "koko yön"),
    ),
    MisconductKind(
        "restraint",
        alone=(
            "bältad", "bältade", "bälte ", "bältes", "fastspänd", "fastspände", "spände fast", "fastbunden",
            "band fast", "bundit fast", "inlåst", "låste in", "låst in", "låses in", "låstes in", "låser in",
            "låsa in", "låser * dörren", "höll fast", "hålla fast", "håller fast", "hölls fast", "med tvång",
            "straffa", "som straff", "bestraff", "punish", "lukitaan", "rangais", "lås på utsidan",
            "låst från utsidan", "låses från utsidan", "låser från utsidan", "utsidan av dörren",
            "får inte lämna sitt rum", "får inte gå ut från sitt rum", "not allowed to leave",
            "locked from the outside",
            "pinned", "tryckte ner", "höll ner", "trycka ner", "ulkopuolelta lukkoon",
            "med våld", "restrain", "tied him", "tied her", "tied to", "strapped", "locked him", "locked her",
            "locked in", "held him down", "held her down", "sidottiin", "sidottu", "sitoivat", "sidotaan",
            "lukittiin", "lukitsivat", "vyöllä", "lepovyö", "ilman suostumusta",
        ),
        act=("tvingade ", "tvingar ", "tvingat ", "forced ", "forces ", "pakotti", "pakotettiin"),
        given=("honom ", "henne ", "hen ", "dem ", "pappa", "mamma", "boende", "brukar", "deltagar", "him ",
               "her ", "them ", "resident", "häntä", "asukas"),
        same_sentence=True,
    ),
    MisconductKind(
        "serious risk",
        alone=("livsfarlig", "livshotande", "brandrisk", "kunde ha dött", "kunnat dö", "hade kunnat dö",
               "kunde ha omkommit", "life-threatening", "could have died", "might have died", "fire hazard",
               "hengenvaara"),
        act=("syrgas", "oxygen", "happi"),
        given=("röker", "rökte", "rökning", "tänd", "smok", "tupak"),
    ),
)

# the writer says it is a small matter or that nobody was harmed: then only grave misconduct counts
MINOR = ("inget stort", "inte så stort", "inget allvarligt", "inte allvarligt", "ingen stor grej", "en liten sak",
         "en småsak", "ingen har farit illa", "ingen kom till skada", "not serious", "nothing serious",
         "a small thing", "a minor thing", "nobody was hurt", "no one was hurt", "no one was harmed",
         "ei mitään vakavaa", "pieni asia")
GRAVE = ("physical", "sexual", "sexual remarks", "financial", "restraint")

# the writer says the staff handled it right (did the right thing, noticed at once, documented it, the writer is
# reassured): what went wrong is told as background, and only grave misconduct still counts
HANDLED = re.compile(
    r"\b(?:gjorde|gjort|gör|skötte|skött|sköter|hanterade|hanterat|hanterades|agerade|agerat|handled|did|acted|"
    r"dealt with it|toimi|toimivat|hoiti|hoitivat|teki|tekivät)\s+(?:\w+\s+){0,2}(?:rätt|korrekt|riktigt|"
    r"föredömligt|exemplariskt|right|correctly|properly|by the book|oikein|hyvin)\b|"
    r"\bupptäckte(?:s)?\s+(?:\w+\s+){0,2}(?:direkt|genast|omedelbart|med en gång)|"
    r"\b(?:noticed|spotted|caught)\s+(?:\w+\s+){0,2}(?:at once|immediately|straight away|right away)|"
    r"\b(?:var|är|blev|har blivit|was|has been)\s+(?:\w+\s+)?(?:dokumenterat|dokumenterad|documented)\b|"
    r"\b(?:personalen|de|they|the staff)\s+(?:har|hade|has|have|had)\s+(?:bra |full |god |good )?"
    r"(?:koll|kontroll|control|things under control)\b|"
    r"\b(?:jag är|vi är|I am|I'm|we are|we're|olen|olemme)\s+(?:nu |now |ihan |quite )?"
    r"(?:lugn|lugna|reassured|rauhallinen)\b", re.I)

# words that look like an act's outcome but are not: not being told (information, not care), an outcome that
# did not happen ("missade ingen dos"), "utan att fråga" (without doing something, not without food)
_NOT_GIVEN = re.compile(
    r"\b(?:inte|aldrig)\s+(?:har\s+)?fått\s+(?:veta|reda|besked|svar|information|info)\b|"
    r"\bfick\s+(?:inte|aldrig)\s+(?:veta|reda|besked|svar)\b|\bfick\s+(?:inget|ingen)\s+(?:besked|svar|"
    r"information)\b|\b(?:not|never)\s+(?:been\s+)?(?:told|informed)\b|\bwasn't told\b|"
    r"\bei\s+(?:ole\s+)?saanut\s+(?:tietoa|vastausta|tietää)\b|"
    r"\b(?:missade|missat|missades|glömde|glömt)\s+(?:aldrig\s+|inte\s+|ingen\s+|inga\s+)"
    r"(?:\w+\s+)?(?:dos|doser|tablett|medicin)?|\b(?:ingen|inga)\s+(?:dos|doser|tabletter)\s+(?:har\s+)?"
    r"(?:missats|missades|glömts|glömdes)|\b(?:did not|didn't|never)\s+miss|\bno doses?\s+(?:was|were)\s+missed",
    re.I)
# "utan att fråga", "without washing": without doing something, not without food (for the bare "utan"/"without")
_WITHOUT_DOING = re.compile(r"\butan att\b|\bwithout\s+\w+ing\b|\bilman että\b", re.I)

# the legal words: count only where a sentence asserts them
LEGAL = ("lex sarah", "missförhållande", "påtaglig risk", "påtagliga risker")

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")  # between two sentences
_DENIED = re.compile(
    r"\b(?:inte|icke|ej|ingen|inget|inga|aldrig|not|no|never|nothing|isn't|wasn't|ei|eikä)\b|"
    r"\bom\b.{0,80}\bhade\b|\bif\b.{0,80}\bhad\b|\bskulle\b.{0,40}\bha\b|\bwould have\b|\bjos\b",
    re.I,
)


_NEGATION = re.compile(r"\b(?:inte|icke|ej|ingen|inget|inga|aldrig|not|no|never|nothing|isn't|wasn't|ei|eikä|"
                       r"knappast|hardly)\b", re.I)


def handled(text: str) -> str:
    """Where the writer says the staff handled it right (`HANDLED`), not denied ("ingen tillsyn är dokumenterad",
    "they did not act correctly"); empty if nowhere."""
    for m in HANDLED.finditer(text):
        if not _NEGATION.search(text, max(0, m.start() - 25), m.end()):
            return m.group(0)
    return ""


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_BREAK.split(text) if s.strip()]


def legal_terms(text: str, extra: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """The legal words a sentence asserts, and those only denied or supposed (for the cues)."""
    found = lexicon.matches(text, LEGAL + extra)
    if not found:
        return [], []
    asserted: list[str] = []
    for sentence in sentences(text):
        hits = lexicon.matches(sentence, LEGAL + extra)
        if hits and not _DENIED.search(sentence):
            asserted += hits
    asserted = list(dict.fromkeys(asserted))
    return asserted, [w for w in found if w not in asserted]


def _pair(text: str, kind: MisconductKind) -> str | None:
    """The first act said with what makes it misconduct, as "act + given" (`text` already without the words
    that only look like a given, `_NOT_GIVEN`)."""
    if "utan " in kind.given:
        text = _WITHOUT_DOING.sub(" ", text)
    if not lexicon.matches(text, kind.act) or not lexicon.matches(text, kind.given):
        return None
    parts = sentences(text)
    step = 1 if kind.same_sentence else 2
    for i in range(len(parts)):
        window = " ".join(parts[i: i + step])
        acts = lexicon.matches(window, kind.act)
        if not acts:
            continue
        given = lexicon.matches(window, kind.given)
        if given:
            return f"{acts[0]} + {given[0]}"
    return None


@dataclass(frozen=True)
class Cue:
    kind: str  # the kind of misconduct
    words: str  # what was said: an entry, or "act + given"
    alone: bool  # said outright (not only as an act with what makes it misconduct)

    def __str__(self) -> str:
        return f"{self.words} ({self.kind})"


# the writer speaks of their own feelings ("jag blev så förnedrad", "I felt humiliated", "koin tämän nöyryyttävänä")
_OF_WRITER = re.compile(r"\b(?:mig|jag blev|jag kände|jag känner|me|I felt|I feel|I was|minua|minulle|minut|koin|tunsin|"
                        r"tunnen)\b", re.I)
# someone else: the person in care the words were said to
_OTHER = re.compile(r"\b(?:han|hon|hän|he|she|honom|henne|hen|dem|dom|him|her|them|häntä|heitä|pappa|mamma|boende|brukar\w*|"
                    r"deltagar\w*|resident\w*|patient\w*|barn\w*|son\w*|dotter\w*|äiti\w*|isä\w*|asuk\w*)\b",
                    re.I)
# a decision threatened, not a person ("de hotar att dra in pengarna", "threatened to stop the payments")
_THREAT_OF_DECISION = re.compile(
    r"\b(?:hot\w*|threat\w*|uhka\w*)\s+(?:\w+\s+){0,2}(?:att|to|että)?\s*(?:\w+\s+)?(?:dra in|dra ner|stoppa|"
    r"avsluta|stänga|säga upp|sänka|minska|ta bort|avslå|cut|stop|withdraw|end|close|reduce|refuse|lakkaut|"
    r"lopett|katkais)", re.I)


# a feeling said, not the act that caused it ("pappa kände sig förnedrad", "he felt humiliated")
_FEELING = re.compile(r"\b(?:felt|feel|feels|feeling|kände sig|känner sig|känt sig|blev (?:så |väldigt |mycket )?|"
                      r"koin|koki|tunsi|tuntui)\s*(?:\w+\s+){0,2}(?:förnedr|humiliat|kränkt|nöyryy)", re.I)


def _to_person(text: str, entries: tuple[str, ...]) -> list[str]:
    """The entries said in sentences about someone in care: not only of the writer's own feelings, not a
    threatened decision."""
    found: list[str] = []
    for sentence in sentences(text):
        hits = lexicon.matches(sentence, entries)
        if not hits or _THREAT_OF_DECISION.search(sentence) or _FEELING.search(sentence):
            continue
        if _OF_WRITER.search(sentence) and not _OTHER.search(sentence):
            continue
        found += hits
    return found


def misconduct(text: str) -> list[Cue]:
    """The kinds of misconduct a text speaks of, the first words found for each."""
    cues: list[Cue] = []
    paired = _NOT_GIVEN.sub(" ", text)
    for kind in KINDS:
        alone = lexicon.matches(text, kind.alone) if kind.alone else []
        if alone and kind.to_person:
            alone = _to_person(text, kind.alone)
        if alone:
            cues.append(Cue(kind.name, alone[0], True))
            continue
        if kind.act and not (kind.unless and lexicon.matches(text, kind.unless)):
            pair = _pair(paired, kind)
            if pair:
                cues.append(Cue(kind.name, pair, False))
    return cues


def misconduct_at(text: str, start: int) -> list[Cue]:
    """The misconduct said in the sentence around an offset or the two after it (what one person did)."""
    bounds = [0] + [m.end() for m in SENTENCE_BREAK.finditer(text)] + [len(text)]
    for n in range(len(bounds) - 1):
        if bounds[n] <= start < bounds[n + 1]:
            return misconduct(text[bounds[n]: bounds[min(n + 3, len(bounds) - 1)]])
    return []


def prepare() -> None:
    """Compile the lists once (the first message would otherwise pay for it)."""
    for kind in KINDS:
        for entries in (kind.alone, kind.act, kind.given, kind.unless):
            if entries:
                lexicon.matches("", entries)
    lexicon.matches("", LEGAL)
    lexicon.matches("", MINOR)
