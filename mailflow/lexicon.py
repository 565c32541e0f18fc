"""Built-in Swedish and English lexicons, and the matcher that reads them.

An entry is a word stem (it matches any word that starts with it, so
"missnöj" finds "missnöjd" and "missnöjda"); a phrase of stems ("ingen kom");
a phrase with gaps, where " * " stands for up to three words ("skulle * kunna"
finds "skulle personalen kunna"); or, with a leading "*", a part of a compound
("*personal" finds "hemtjänstpersonalen"). A trailing blank means "whole word
only" ("arg " does not find "arga" … it does find "arg."). Organizations add
entries in `[classifier]`.

The lists are transparent on purpose: every decision names the entries that
fired, so a registrar can see why and correct it with a command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# -- kind ------------------------------------------------------------------------------

COMPLAINT = (
    # dissatisfaction, named
    "klagomål", "klaga", "klagar", "missnöj", "besvik", "upprörd", "arg ", "arga ", "irriterad",
    "oacceptabel", "inte acceptabel", "inte okej", "inte ok ", "skandal", "bedrövlig", "dålig",
    "sämst", "uselt", "usel", "brist", "fel ", "felaktig", "slarv", "problem ", "problemet", "problemen",
    "inte nöjd", "inte alls nöjd", "inte särskilt nöjd", "orimlig", "obegriplig", "kaos", "äckligt", "äcklig",
    "otrevlig", "oförskämd", "nonchalant", "respektlös", "kränk", "förnedr", "humiliat", "nöyryyt", "dåligt bemötande", "ignorer",
    "otrygg", "rädd ", "rädda för", "orolig", "oro ", "ledsen över", "förtvivlad", "frustrer", "trött på",
    "tröttsamt", "jag orkar inte", "orkar inte mer",
    # things that went wrong
    "försen", "försenad", "för sent", "har väntat", "väntat länge", "väntar fortfarande", "väntar fortf",
    "har inte fått", "fick inget svar", "inget svar", "ingen svarar", "ingen har hört av sig", "har ingen hört",
    "hört något", "uteblev", "utebliven", "kom aldrig", "kom inte", "kom ingen", "ingen kom", "varför kom",
    "glömde", "glömt", "struntar", "bryr sig inte", "ingen bryr sig", "verkar bry sig", "ingen verkar",
    "smutsig", "skitig", "ostädad", "trasig", "sönder", "farlig", "farligt", "stängd", "stängt", "inställd",
    "ställdes in", "nedskräp", "skräpet", "klotter", "stinker", "luktar illa", "svämmar över", "råttor",
    "kall mat", "maten är kall", "maten var kall", "kallt ", "stelnat", "inte fungerar", "fungerar inte",
    "funkar inte", "saknas", "saknade", "saknar", "buller", "oväsen", "stök", "hinner inte", "hinner knappt",
    "hinner aldrig", "för få", "för lite personal", "underbemann", "stressad", "stressade", "jätteensam",
    "ensam ", "helst inte", "känner sig som luft", "som luft", "har ringt om", "ringt flera", "flera gånger",
    "gång på gång", "igen och igen", "tre gånger", "två gånger redan", "har inte kunnat", "kunde inte",
    "fick inte", "får inte", "nekad", "nekades", "avslag", "skämmas", "ingen lyssnar", "får ingen hjälp",
    "full av", "krossat glas", "glasbit", "måste städa", "någon måste", "förstörd", "ingen aning", "ledsen",
    "skrek hela", "grät", "räcker inte", "inte räcker", "hänt igen", "är det så här", "är det verkligen",
    "jag tycker inte att", "obehagligt", "som om han vore", "som om hon vore", "kallar honom", "kallar henne",
    "nothing has happened", "no longer dares", "have been out", "has been out", "still not", "tell me when",
    # demands and questions that carry a complaint
    "varför har", "varför får", "varför kan", "varför är", "varför ska", "varför blir", "varför måste",
    "hur kan det", "hur kommer det sig", "är det rimligt", "är det meningen", "kan inte vara meningen",
    "rimligt att", "är det normalt", "kräver", "vill ha ersättning", "vill ha en förklaring", "vill veta vad",
    "vill veta hur", "vill att någon", "vill att ni", "vill att det", "begär", "anmäla", "anmälan", "polisanmäl",
    "utreds", "utreda", "gör något", "måste göra något", "se till att", "borde inte", "ska inte behöva",
    "inte tillåtet", "tyvärr",
    # English
    "complain", "disappoint", "unacceptable", "not acceptable", "angry", "upset", "poor ", "terrible",
    "awful", "rude", "late ", "delay", "never came", "did not come", "didn't come", "no one came",
    "nobody came", "no answer", "no reply", "still waiting", "waiting for", "why has", "why does", "why is",
    "why was", "why did", "how can it be", "broken", "dirty", "unsafe", "neglect", "ignored", "problems",
    "missing", "failed", "failure", "wrong", "not even", "were promised", "was promised", "anxious", "worried",
    "look into", "not good enough", "fed up", "too many", "too few",
    # Finnish
    "valitus", "valitan", "valitamme", "tyytymätön", "tyytymättömi", "pettynyt", "pettymys", "huono", "huonosti",
    "ei tullut", "kukaan ei", "ei kukaan", "ei vastannut", "ei ole vastattu", "en ole saanut", "emme ole saaneet",
    "ei ole kuulunut", "myöhässä", "unohti", "unohtaneet", "unohdettu", "likainen", "rikki", "vaarallinen",
    "liukas", "liukkaa", "ei ole hyväksyttävää", "ei hyväksyttävä", "ongelma", "laiminlyö", "huolissani",
    "huolestunut", "vihainen", "suuttunut", "epäkohtelias", "peruttu", "peruttiin", "lopetettiin",
    "ilman ilmoitusta", "luvattiin", "lupasitte", "vaadin", "haluan tietää", "ei toimi", "vanhentunut",
    "vanhentuneita", "miksi", "ei saanut", "eivät saa", "valitettavasti", "ainoastaan ruotsiksi",
)
# dissatisfaction that is easily said in passing: a complaint only with nothing kinder around it
WEAK_COMPLAINT = ("sämre", "sämst", "tyvärr", "oro ", "orolig", "ensam ", "kunde inte", "fick inte", "får inte",
                  "saknar", "saknade", "flera gånger", "missing", "worried", "stressad", "stressade", "ledsen",
                  "grät", "valitettavasti", "miksi", "huolissani", "huolestunut")

OPINION = (
    "förslag", "föreslå", "föreslår", "tips", "idé", "önskar", "önskemål", "skulle vilja", "vore bra",
    "vore det bra", "vore fint", "vore trevligt", "borde", "bör ", "kunde ni", "skulle ni kunna",
    "skulle * kunna", "kanske kunde", "kanske skulle", "synpunkt", "tycker att", "tänkte på", "fundering",
    "undrar om", "hade varit bra", "hade varit trevligt", "förbättr", "vore det möjligt", "går det att",
    "skulle det gå", "kunde ni inte", "om ni inte kunde", "kanske någon", "vore roligt", "hade varit roligt",
    "skulle vara roligt", "skulle vara bra", "skulle önska", "jag önskar", "vi önskar",
    "suggest", "suggestion", "idea", "would be nice", "would be good", "could you", "should ",
    "proposal", "propose", "wish", "opinion", "improve", "would it be possible",
    # Finnish
    "ehdotan", "ehdotus", "ehdottaa", "toivoisin", "toivoisimme", "toivomme", "olisi hyvä", "olisi kiva",
    "olisi mukava", "voisiko", "voisitteko", "mielestäni", "kannattaisi", "olisiko mahdollista", "toiveeni",
    "toiveemme", "toive ", "voisimme",
)

PRAISE = (
    "beröm", "berömm", "tack så mycket", "stort tack", "tusen tack", "vill tacka", "vill bara tacka",
    "vill bara säga tack", "tack för att", "tack till", "tack från", "tack snälla", "tacksam",
    "jättebra", "fantastisk", "underbar", "toppen", "nöjd", "glad över", "så glad", "imponerad",
    "fint bemötande", "gott bemötande", "vänligt bemötande", "vänlig personal", "så vänlig",
    "varm och", "omtänksam", "professionell", "hjälpsam", "uppskatt", "ett stort plus", "guldvärd",
    "eloge", "kudos", "vackraste", "vacker", "njöt", "njuter", "bästa som", "det bästa", "har det bra",
    "tar så väl hand", "tar väl hand", "känns tryggt", "kloka", "strålande", "härlig", "bra jobbat",
    "så roligt", "så skönt", "skönt med", "var så vänlig", "tog sig tid", "tack!", "tack för", "vill tacka",
    "höjdpunkt", "godaste", "tack ska ni ha", "tack ska du ha", "så trevliga", "fortsätt så", "guldklimp", "mycket trevligt", "så stolt", "keep it up",
    "thank you", "thanks so much", "many thanks", "grateful", "wonderful", "excellent", "fantastic",
    "great job", "kind ", "helpful", "appreciate", "praise", "happy with", "lovely", "amazing",
    # Finnish
    "kiitos", "kiitän", "kiitämme", "kiitollinen", "ihana", "upea", "loistava", "erinomainen", "ystävällinen",
    "tyytyväinen", "tyytyväisiä", "hieno", "mahtava", "kehu", "ammattitaitoi", "lämmin", "lämpimät",
    "suuri kiitos", "iso kiitos", "lämmin kiitos",
)

# -- flags -------------------------------------------------------------------------------

ANONYMOUS = (
    "vill vara anonym", "vill förbli anonym", "önskar vara anonym", "vill hålla mig anonym",
    "vill inte uppge mitt namn", "vill inte lämna mitt namn", "utan att uppge namn", "skriver anonymt",
    "skriv inte ut mitt namn", "vill inte att mitt namn", "wish to remain anonymous",
    "want to remain anonymous", "would like to remain anonymous", "stay anonymous", "remain anonymous",
    "won't give my name", "will not give my name", "do not want my name", "don't want my name",
    # Finnish
    "haluan pysyä nimettömänä", "haluan olla nimettömänä", "haluan jäädä nimettömäksi", "en halua kertoa nimeäni",
    "kirjoitan nimettömänä", "ilman nimeä",
    # a request that the matter be treated so
    "treat * anonymously", "handle * anonymously", "treated anonymously", "handled anonymously",
    "behandla * anonymt", "behandlar * anonymt", "hantera * anonymt", "hanterar * anonymt", "behandlas anonymt", "hanteras anonymt", "käsitellä nimettömänä",
    "käsitellään nimettömänä",
)

# a complaint about one person's conduct, said outright
ABOUT_EMPLOYEE_DIRECT = (
    "hennes bemötande", "hans bemötande", "hens bemötande", "hon var otrevlig", "han var otrevlig",
    "hen var otrevlig", "vill inte att hon", "vill inte att han", "vill inte att hen", "byta handläggare",
    "byta socialsekreterare", "byta kontaktperson", "byta boendestödjare",
)
# words that single out one employee: they make a complaint about an employee only with
# bad conduct in the same or the next sentence
ABOUT_EMPLOYEE = (
    "en anställd", "den anställde", "en medarbetare", "hon som heter", "han som heter", "hen som heter",
    "personen som heter", "vid namn", "som hette", "hon skrek", "han skrek", "hen skrek",
    "min handläggare", "handläggaren jag", "den nya pedagogen", "den nya personalen", "en i personalen",
    "en av personalen", "en personal som", "an employee", "a member of staff", "a staff member",
    "her name is", "his name is", "my caseworker", "the caseworker", "one of the carers", "one carer",
    "his support worker", "her support worker", "my support worker", "som hade kvällspasset",
    "som hade nattpasset", "som hade dagpasset", "som jobbade i", "som jobbade på", "som arbetade i",
    "hon med", "han med", "hon som håller", "han som håller", "hon som leder", "han som leder",
    # one person by role, in the definite singular
    "undersköterskan", "vårdbiträdet", "socialsekreteraren", "pedagogen", "läraren", "handläggaren",
    "kontaktpersonen", "boendestödjaren", "handledaren", "fritidsledaren", "enhetschefen", "chauffören",
    "nattsköterskan", "sjuksköterskan", "the nurse", "the carer", "the driver",
)
# a staff word followed by a name: "undersköterskan Lisa", "Robin i personalen", "fritidsledaren Ahmed"
_ROLE = (r"(?:under)?sköterska[n]?|vårdbiträde[t]?|personal(?:en)?|chef(?:en)?|enhetschef(?:en)?|"
         r"(?:fritids)?ledare[n]?|pedagog(?:en)?|lärare[n]?|förskollärare[n]?|barnskötare[n]?|"
         r"handläggare[n]?|handledare[n]?|socialsekreterare[n]?|assistent(?:en)?|boendestödjare[n]?|"
         r"stödpedagog(?:en)?|fröken|fröknarna|staff member|staff|"
         r"kontaktman(?:nen)?|kontaktperson(?:en)?|vikarie[n]?|chaufför(?:en)?|kock(?:en)?|"
         r"carer|nurse|assistant|manager|caseworker|teacher|worker")
NAMED_STAFF = re.compile(
    # "undersköterskan Lisa", "hemtjänstpersonalen, Jonna", "socialsekreteraren vi har, Jonas"
    rf"\b[a-zåäö]*(?:{_ROLE})(?:\s+[a-zåäö]+){{0,3}},?\s+([A-ZÅÄÖ][a-zåäöé]{{2,}})\b|"
    # "Robin i personalen", "Gunilla som är chef", "Birgitta på Talliden, hon som håller i gympan"
    rf"\b([A-ZÅÄÖ][a-zåäöé]{{2,}})\s+(?:i|på|från)\s+personalen\b|"
    rf"\b([A-ZÅÄÖ][a-zåäöé]{{2,}})\s+som\s+(?:är|var|jobbar|arbetar|leder|håller)\b|"
    rf"\b(?:heter|hette|called|named)\s+([A-ZÅÄÖ][a-zåäöé]{{2,}})",
)
# someone's own caseworker or support worker: "hans boendestödjare", "mammas kontaktperson"
OWN_STAFF = re.compile(
    rf"\b(?:min|mitt|hans|hennes|hens|vår|deras|[a-zåäö]+s)\s+(?:{_ROLE})\b", re.I,
)
_NOT_A_NAME = frozenset(
    ["Jag", "Vi", "Hon", "Han", "Hen", "De", "Det", "Den", "Och", "Men", "Som", "När", "Där", "Här", "Mamma", "Pappa", "Min", "Mitt", "Mina", "Er", "Ert", "Ni", "Nacka", "Norrmalm", "Sofiero", "Ektorp", "Talliden", "Vasastan", "The", "She", "He", "They", "And", "But", "When", "Our", "My", "Your", "His", "Her"]
)

CONDUCT = (
    # harsh
    "otrevlig", "oförskämd", "arg ", "arga ", "skrek", "skäll", "kallar", "kallade", "pratar till", "pratade till",
    "hånade", "hånar", "sarkastisk", "ironisk", "nonchalant", "respektlös", "kränk", "ignorer", "struntar",
    "suckar", "suckade", "himlade", "slog", "drog", "knuffade", "hårdhänt", "kommer sent", "kom sent",
    "halvtimme sent", "alltid sent", "sitter med mobilen", "i telefon", "pratar i telefon", "röker", "rökte",
    "berusad", "luktade alkohol", "oprofessionell", "hotade", "hotar", "elak", "sur ", "sura ", "kort i tonen",
    "som ett barn", "som om", "barnsligt", "förnedr", "skämd", "gapar", "fräser", "fräste", "snäste", "röt ",
    "ljuger", "ljög", "vägrar", "vägrade", "tvingade", "lånat pengar", "lånar pengar", "lånade pengar",
    "bett honom", "bett henne", "respektlöst", "hårda", "hård stil", "skrattar", "skrattade",
    "låser", "hota", "filmade", "filmar", "tog pengar", "tagit pengar", "kortet", "bankkort", "stal", "stulit",
    "pulls", "yanked", "drops her", "drops him", "hurts", "hurt her", "hurt him",
    # mild: manner and neglect of one person
    "var kort", "kort mot", "kort med", "otrevligt", "ovänlig", "ohövlig", "nedlåtande", "översittar", "spydig",
    "dryg", "ointresserad", "oengagerad", "okänslig", "otålig", "irriterad på", "lyssnar inte", "lyssnade inte",
    "svarar inte", "svarade inte", "svarar aldrig", "ringer aldrig", "ringde aldrig", "ringer inte tillbaka",
    "ringde inte tillbaka", "hör aldrig av sig", "hörde aldrig av sig", "hör inte av sig", "glömmer", "glömde",
    "glömt", "hälsar inte", "hälsade inte", "tittade inte", "avbröt", "avbryter", "slarvar", "slarvade", "slarvig",
    "bryr sig inte", "brydde sig inte", "gick därifrån", "gick innan",
    "pratar över huvudet", "pratade över huvudet", "tonen", "tonfall", "attityd", "bemötande", "bemötte",
    "skäms", "utskälld", "tillsäg", "tillrättavis", "gormade", "bråkade",
    # English
    "rude", "shouted", "yelled", "rolled his eyes", "rolled her eyes", "sighed", "sarcastic", "ignored",
    "always late", "on the phone", "on her phone", "on his phone", "pulled", "grabbed", "swore", "mocked",
    "dismissive", "lazy", "never calls", "short with", "curt", "condescending", "patronising", "patronizing",
    "impatient", "unfriendly", "unkind", "unprofessional", "careless", "forgot", "does not answer",
    "doesn't answer", "did not answer", "didn't answer", "never answers", "never replies", "does not reply",
    "laughed at", "talks down", "talked down", "tone", "attitude", "filmed", "took money",
    "borrowed money", "smelled of alcohol", "smoked", "snapped",
    # Finnish
    "epäkohtelia", "töykeä", "tyly", "huusi", "huutaa", "ei vastaa", "ei vastannut", "unohti", "unohtaa",
    "myöhässä", "välinpitämätö", "ilkeä", "nauroi", "pilkkasi", "loukkaa", "ylimielinen",
)

# Suspected serious misconduct in care (SoL/LSS), also in plain words. Strong entries
# flag on their own; weak ones only with care around them and no praise carrying them.
LEX_SARAH = (
    "lex sarah", "missförhållande", "vanvård", "försummelse", "misshandel", "misshandlad", "övergrepp",
    "slog henne", "slog honom", "slog min", "slog mig", "slagen", "sparkade", "knuffade", "knuffad",
    "hårdhänt", "nöp henne", "nöp honom", "ryckte", "slet i", "drog henne", "drog honom", "skrek åt",
    "hånade", "skrattade när", "iskall", "kallt vatten",
    "låg på golvet", "låg * på golvet", "legat på golvet", "ligga på golvet", "hittades på golvet",
    "på golvet hela", "hålla fast", "höll fast", "drog upp * ur", "livrädd", "lånat pengar", "lånar pengar",
    "tagit pengar", "inte fått sin", "inte fått sina", "inte fått någon medicin", "båda doserna",
    "dosen på en gång", "doserna på en gång", "tabletter på en gång", "kvällsdosen", "två doser", "double dose",
    "two doses", "låses in", "låstes in", "låser in", "låsa in", "låser * dörren", "utan stöd i",
    "inte fått något stöd", "yanked",
    "fick fel medicin", "fel medicin", "fel läkemedel", "fel tabletter", "fel dos", "dubbel dos",
    "fick inte sin medicin", "fick inte sina", "fick ingen medicin", "medicinen glömdes", "glömde ge",
    "ingen kom när", "kom ingen när", "ingen svarade på larmet", "larmet", "larmade", "nå larmet",
    "kunde inte nå", "samma blöja", "inte bytts", "inte blivit bytt", "inte bytt", "genomblöt", "nedkissad",
    "nedbajsad", "låg i avföring", "låg i urin", "i sin egen avföring", "i sitt eget", "liggsår", "trycksår",
    "öppna sår", "stora sår", "fått sår", "inte fått duscha", "inte duschat på", "inte fått dricka",
    "inte fått mat", "inte fått äta", "uttorkad", "svalt", "svälter", "inlåst", "låste in", "låst in",
    "bältad", "fastspänd", "hotade", "hot om", "inte får äta", "får inte äta", "straffa",
    "kränkande behandling", "sexuell", "stöld", "stal pengar", "stulit", "försvunnit pengar",
    "pengar försvinner", "pengar har försvunnit", "pengarna saknas", "det saknas pengar", "saknas drygt",
    "saknades", "fattas pengar", "utan att någon märkt", "ingen märkte", "ingen hade märkt", "visste inte ens",
    "ensam hela natten", "abuse", "abused", "wrong medication", "wrong medicine", "missed medication",
    "left on the floor", "lying on the floor", "on the floor for", "nobody came when", "no one came when",
    "call button", "out of reach", "own faeces", "own feces", "own urine", "soiled", "bedsore",
    "pressure sore", "pressure ulcer", "locked in", "restrained", "dehydrated", "went missing",
    "walked out", "without anyone noticing", "money has gone", "money missing", "money is missing",
    "threatened", "hit her", "hit him", "pushed her", "pushed him", "rough", "shouted at",
    # Finnish
    "kaltoin", "kaltoinkohtel", "pahoinpitel", "lyönyt", "löi häntä", "sidottu", "sidottiin", "sitoivat",
    "vyöllä", "lukittiin", "lukitaan", "lattialla koko", "väärä lääke", "väärät lääkkeet", "väärää lääkettä",
    "ilman lääkkeitä", "lääkkeet jäivät", "virtsassa", "ulosteessa", "painehaava", "makuuhaava", "nestehukka",
    "rahaa puuttuu", "rahaa on kadonnut", "varastettu", "varasti", "ilman suostumusta",
)
WEAK_LEX_SARAH = ("blåmärke", "bruise", "ingen mat", "rough", "kallt vatten", "livrädd", "terrified")
# words that place a text in care under SoL or LSS (elderly care, disability support under LSS, social services)
CARE = (
    "boende ", "boendet", "äldreboende", "*äldreboende", "omsorgsboende", "seniorcenter", "gruppbostad",
    "gruppbostäder", "servicebostad", "servicebostäder", "korttids", "dagverksamhet", "daglig verksamhet", "dagliga verksamhet", "hemtjänst", "*hemtjänst", "omsorg",
    "*omsorg", "brukare", "vårdtagare", "omsorgstagare", "undersköterska", "vårdbiträde", "demens", "lss",
    "sol ", "assistans", "personlig assistent", "personliga assistent", "boendestöd", "ledsagar", "avlösar",
    "avlösning", "socialtjänst", "kontaktfamilj", "kontaktperson", "familjehem", "hvb", "stödboende",
    "stödpedagog", "vårdpersonal", "omsorgspersonal", "trygghetslarm", "hemsjukvård", "sjuksköterska",
    "hjälp hemifrån", "hemhjälp", "nattpatrull", "dosett", "omvårdnad", "genomförandeplan", "god man ",
    "förvaltare", "stöd i hemmet",
    "nursing", "care home", "home care", "home help", "carer", "caregiver", "care worker", "support worker",
    "personal assistant", "residents", "resident ", "senior centre", "group home", "day centre", "respite",
    "social services", "foster", "supported living", "sheltered housing", "residential home", "residential care",
    "assisted living", "care facility", "supported housing", "short-term home", "short-term care",
    "kotihoi", "kotipalvelu", "hoivako", "vanhainko", "palvelutalo", "hoitaja", "lähihoitaja", "asuk",
    "ryhmäko", "asumisyksik", "muistisairas", "tukiasun", "sijaisperhe", "lastensuojelu",
    "henkilökohtainen avustaja",
)

# words that place a text in school or preschool (the Education Act, not SoL/LSS) or another service outside
# care: parks, streets, leisure
SCHOOL = ("förskola", "förskolan", "förskolor", "fröken", "fröknarna", "pedagog", "barngrupp", "inskolning",
          "skola ", "skolan", "skolgård", "skolsköterska", "rektor", "lärare", "elev", "park ", "parken", "lekplats",
          "fritidsgård", "idrottshall", "simhall", "bibliotek", "preschool", "kindergarten", "nursery school",
          "school", "teacher", "playground", "päiväko", "koulu", "opettaja", "leikkipuisto", "puisto")

# -- language ----------------------------------------------------------------------------------

SV_WORDS = frozenset(
    ["och", "att", "det", "inte", "jag", "är", "på", "för", "med", "som", "en", "har", "till", "vi", "min", "mitt", "mina", "av", "om", "hon", "han", "hen", "den", "de", "var", "ett", "men", "så", "eller", "från", "kan", "ska", "vill", "när", "har", "hade", "mycket", "också", "här", "där"]
)
EN_WORDS = frozenset(
    ["the", "and", "to", "is", "not", "my", "of", "for", "with", "have", "was", "this", "that", "it", "in", "on", "are", "we", "our", "she", "he", "they", "be", "has", "had", "when", "would", "could", "there", "here", "very", "also"]
)

_WORD = re.compile(r"[0-9a-zåäöéüæø]+(?:-[0-9a-zåäöéüæø]+)*", re.I)
_LETTER = "0-9a-zåäöéüæø"


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class _Entry:
    label: str
    needle: str  # a plain substring every match contains: a cheap test before the regex
    pattern: re.Pattern[str]


@lru_cache(maxsize=512)
def _compile(entries: tuple[str, ...]) -> tuple[_Entry, ...]:
    out = []
    for e in entries:
        e = e.lower()
        if not e.strip():
            continue
        if e.startswith("*"):
            needle = e[1:].strip()
            pat = re.escape(needle)
        else:
            needle = e.strip().split(" * ")[0]
            parts = [re.escape(p) for p in e.strip().split(" * ")]
            body = rf"(?:[{_LETTER}-]+\s+){{0,3}}".join(p + r"\s+" if i < len(parts) - 1 else p
                                                       for i, p in enumerate(parts))
            tail = rf"(?![{_LETTER}])" if e.endswith(" ") else ""
            pat = rf"(?<![{_LETTER}]){body}{tail}"
        out.append(_Entry(label=e.strip(), needle=needle, pattern=re.compile(pat)))
    return tuple(out)


@lru_cache(maxsize=64)
def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def matches(text: str, entries: Iterable[str]) -> list[str]:
    """The entries found in the text (lower-cased, whitespace folded)."""
    norm = _normalise(text)
    return [e.label for e in _compile(tuple(entries)) if e.needle in norm and e.pattern.search(norm)]


def named_staff(text: str) -> list[str]:
    """Staff named or singled out in the text ("undersköterskan Lisa", "hans boendestödjare")."""
    flat = " ".join(text.split())
    found = []
    for m in NAMED_STAFF.finditer(flat):
        name = next((g for g in m.groups() if g), "")
        if name and name not in _NOT_A_NAME:
            found.append(name)  # the name: the text may speak of the person again by it
    for m in OWN_STAFF.finditer(flat):
        if not m.group(0).lower().endswith(("personal", "personalen", "staff")):  # a group, not a person
            found.append(m.group(0))
    return found


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def conduct_at(text: str, start: int) -> list[str]:
    """Bad conduct said in the sentence around an offset, or in the two after it (where "hon"/"she"
    goes on about the person)."""
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    for n in range(len(bounds) - 1):
        if bounds[n] <= start < bounds[n + 1]:
            window = text[bounds[n]: bounds[min(n + 3, len(bounds) - 1)]]
            return matches(window, CONDUCT)
    return []


def said_at(text: str, start: int, entries: tuple[str, ...]) -> list[str]:
    """The entries said in the sentence around an offset or the next one."""
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    for n in range(len(bounds) - 1):
        if bounds[n] <= start < bounds[n + 1]:
            return matches(text[bounds[n]: bounds[min(n + 2, len(bounds) - 1)]], entries)
    return []


def conduct_near(text: str, mention: str) -> list[str]:
    """Bad conduct said in the sentence that names someone, or in the next one."""
    sentences = [x for x in _SENTENCE.split(text) if x.strip()]
    key = mention.lower()
    for i, sentence in enumerate(sentences):
        if key in " ".join(sentence.lower().split()):
            window = " ".join(sentences[i : i + 3])
            found = matches(window, CONDUCT)
            if found:
                return found
    return []


def language(text: str, default: str) -> tuple[str, str]:
    """'sv' or 'en' by common words, with the cue that decided."""
    ws = words(text)
    sv = sum(1 for w in ws if w in SV_WORDS)
    en = sum(1 for w in ws if w in EN_WORDS)
    if sv == en:
        return default, f"language:{default} (default)"
    lang = "sv" if sv > en else "en"
    return lang, f"language:{lang} ({sv} sv / {en} en common words)"
