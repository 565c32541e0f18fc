# ruff: noqa: E501  (the examples are whole messages, one a line)
"""Lex Sarah and a complaint about one employee on text of our own (issue 12, second round).

Every example is written for this file, with the organization of `test_generalize` (Storvik): the kinds
of misconduct in care under SoL/LSS in Swedish, English and Finnish, and hard negatives (care words
without misconduct, preschool and park, praise, a fall handled well, money that has not come); one
employee singled out by name, role or description with what they did, and the negatives (staff as a
group, a manager answering for the unit, a named employee praised in passing, a relative's name).
"""

from __future__ import annotations

import pytest

from mailflow.model import Kind
from mailflow.nlp import sarah
from mailflow.pipeline.classify import classify_text
from tests.unit.test_generalize import ORG

LEX_SARAH = [
    "Min pappa bor på äldreboendet. I går såg jag hur en i personalen tog tag i hans arm så hårt att han fick blåmärken och skrek åt honom att sitta still.",
    "När vi kom till gruppbostaden satt vår dotter fastspänd i rullstolen i köket, och personalen sa att det var för att hon inte skulle gå runt.",
    "Hemtjänsten har inte kommit till mamma sedan i fredags. Hon har inte ätit och hade kissat på sig när jag kom i söndags.",
    "Pappas smycken och hans klocka är borta från rummet på boendet och det är bara personalen som har nyckel.",
    "Min bror som har LSS-boende fick en annan boendes mediciner i kväll, personalen hade blandat ihop dosetterna.",
    "Undersköterskan på korttids låste in min mamma på rummet över natten.",
    "Personalen på boendet skrattade och hånade min far när han inte hann till toaletten.",
    "En i personalen på gruppbostaden har tagit bilder på de boende när de duschar och lagt ut dem.",
    "Min mamma på äldreboendet har fått ett stort trycksår på hälen som ingen har rapporterat.",
    "Min son på korttidshemmet kom hem med brännskador efter att ha lämnats i för varmt duschvatten.",
    "Personalen på dagliga verksamheten tvingade honom att äta upp fast han kräktes.",
    "Hon var uttorkad när hon kom till sjukhuset efter två veckor på korttidsboendet.",
    "Min boendestödjare har bett mig låna ut pengar till honom flera gånger.",
    "Nattpersonalen på boendet lämnar min pappa i våta lakan hela natten.",
    "Hemtjänstpersonalen har gett mamma dubbla insulindoser två gånger denna månad.",
    "Min syster som bor i en servicebostad blev slagen av en medboende och personalen gjorde ingenting.",
    "Min mamma med demens hittades i snön utanför boendet klockan fyra på morgonen.",
    "A carer at my mother's nursing home slapped her across the face.",
    "My brother, who lives in a group home, was locked in his room for hours as a punishment.",
    "The home care staff left my father sitting in his own urine all night.",
    "The home care gave my mum the wrong tablets twice last week.",
    "Money keeps disappearing from my aunt's purse since the new carer from the home care started.",
    "Staff at the day centre have been making fun of my son's stutter in front of everyone.",
    "My father has dementia and was found wandering on the motorway; nobody at the care home had noticed he was gone.",
    "My mother, who has home care, fell in the bathroom and lay there for six hours before anyone came.",
    "The carers tied her to the chair so she would not get up.",
    "My father lives in a care home and was given sedatives without anyone asking the doctor.",
    "Hoitaja löi äitiäni kasvoihin palvelutalossa.",
    "Isäni jätettiin koko yöksi märkään vaippaan hoivakodissa.",
    "Kotihoito unohti antaa äidin lääkkeet kolme päivää peräkkäin.",
    "Hoitajat sitoivat veljeni sänkyyn ryhmäkodissa.",
    "Asukkaan rahoja on kadonnut hoivakodissa.",
    "Min mamma har hemtjänst. Hon tryckte på larmet tre gånger i natt men ingen kom förrän på morgonen.",
    "Personalen på boendet pratar nedsättande om de boende inför dem och kallar dem för dementa kärringar.",
    "Min farfar på äldreboendet har gått ner tio kilo på två månader och ingen har reagerat.",
    "Hej. Min moster bor på Lundens äldreboende. När jag hälsade på i söndags satt hon i rullstolen i korridoren med en filt över benen och hade inte fått någon frukost trots att klockan var tolv.",
    "Jag jobbar extra på ett boende och har sett en kollega dra en dam i armen från sängen till toaletten så att hon grät. Hon har skört skinn och fick ett sår.",
    "Min pappa fick en annan patients blodtrycksmedicin på korttidsboendet och svimmade.",
    "Personalen på gruppbostaden ger min syster lugnande tabletter i saften för att hon ska sova, det står inget om det i hennes ordination.",
    "Min farmor blev liggande på badrumsgolvet en hel natt eftersom nattpatrullen inte kom.",
    "Hemtjänsten duschade mamma i iskallt vatten och skrattade när hon protesterade.",
    "Min bror på LSS-boendet får inte gå ut från sitt rum efter klockan åtta, personalen har satt ett lås på utsidan av dörren.",
    "Det har försvunnit flera tusen kronor från min mammas konto sedan hemtjänsten fick hennes bankkort för att handla.",
    "Min pappa har hemtjänst och har inte fått sin insulinspruta på tre dagar, han blev inlagd med för högt blodsocker.",
    "På boendet får de boende sitta i smutsiga kläder i flera dagar och min mamma luktar urin när jag kommer.",
    "En undersköterska på korttids sa till min dotter att hon var äcklig och att ingen ville ta hand om henne.",
    "My grandmother in the care home has bruises on both arms and the staff can't explain them.",
    "A care worker from home care has been asking my father, who has dementia, for money and he has given her thousands.",
    "The night staff at the residential home turn off the call alarms so they are not disturbed.",
    "My mother was given her evening medication twice by two different carers and was found unconscious.",
    "Staff at my son's short-term respite home pinned him to the floor when he refused to go to bed.",
    "The carers from home care shout at my mother and call her a stupid old woman.",
    "Äitini on palvelutalossa ja hän on laihtunut kymmenen kiloa, koska kukaan ei auta häntä syömään.",
    "Kotihoidon työntekijä on vienyt isäni lompakosta rahaa useita kertoja.",
    "Hoitaja huusi äidilleni ja kutsui häntä idiootiksi hoivakodissa.",
    "Min pappa bor på ett vård- och omsorgsboende. Flera gånger har jag kommit dit och han har suttit i en blöt blöja sedan morgonen.",
    "Personalen på korttidsboendet gav min son fel mängd av hans epilepsimedicin i tre dagar.",
    "Vår dotter bor på en gruppbostad och en av personalen har sparkat på hennes rullstol och svurit åt henne.",
    "Jag anmäler härmed att min mamma inte har fått hjälp att vända sig i sängen på boendet och nu har hon fått sår på ryggen.",
    "Min far, som har hemtjänst, fick ligga på toalettgolvet i fem timmar i natt innan någon kom.",
    "En vårdare på boendet tog 500 kronor ur min mormors handväska, jag såg det själv.",
    "På Lunden lämnar nattpersonalen de boende i rullstolarna hela natten eftersom de inte hinner lägga dem.",
    "Min son i daglig verksamhet har kommit hem med märken på handlederna, han säger att de höll fast honom i en stol.",
    "My dad in the nursing home told me a carer slapped his hand and called him useless.",
    "My mother's home care workers have been taking food from her fridge and eating it during their visits.",
    "I found my uncle at the group home with a bandage around his head and the staff admitted he had fallen twice in the night without anyone checking on him.",
    "The staff at my brother's supported housing locked the kitchen so he couldn't get food in the evenings, as a punishment for taking snacks.",
    "Kotihoitaja ei antanut äidilleni insuliinia ja hän joutui sairaalaan.",
    "Hoivakodin hoitaja tönäisi isääni niin, että hän kaatui.",
    "Min mormor på äldreboendet har inte fått duscha på sex veckor och har fått svamp och sår i hudvecken.",
]

NOT_LEX_SARAH = [
    "Hemtjänsten kommer ofta en halvtimme sent och maten är kall. Det är irriterande.",
    "Personalen på boendet är underbar, men maten har blivit sämre.",
    "Min mamma ramlade på boendet men personalen kom direkt, ringde sjuksköterskan och mig. Tack för det!",
    "På förskolan blev min son biten av ett annat barn och pedagogerna berättade det först vid hämtningen.",
    "En pojke slog min son i parken och ingen vuxen ingrep.",
    "Jag vill föreslå att dagverksamheten har öppet på lördagar.",
    "Hemtjänsten glömde att köpa mjölk och bröd igen.",
    "Personalen på gruppbostaden byts ut hela tiden och min bror blir orolig.",
    "Duschen på boendet ställdes in två gånger på grund av personalbrist.",
    "Min pappa fick sin medicin lite senare än vanligt i går från hemtjänsten, men det gick bra.",
    "Handläggaren på socialtjänsten har inte svarat på tre veckor och pengarna har inte kommit.",
    "Pengarna från försörjningsstödet saknas fortfarande på mitt konto, socialtjänsten svarar inte.",
    "Min mamma på boendet har blivit mer förvirrad, hon har demens och vi undrar om hon kan få mer aktiviteter.",
    "Jag är missnöjd med att min son inte fick följa med på utflykten från korttids.",
    "Thank you to the staff at the care home who handled my father's fall so calmly.",
    "The home care visits are always late and the carers seem stressed.",
    "Our preschool teacher shouted at the children during lunch.",
    "Kotihoidon käynnit ovat aina myöhässä ja ruoka on kylmää.",
    "Hoitajat ovat ihania, kiitos hyvästä hoidosta.",
    "Vi är nöjda med boendet men skulle vilja att larmet testas oftare.",
    "Min mamma fick blåmärken när hon ramlade på boendet, personalen dokumenterade allt och ringde mig direkt. Jag är nöjd.",
    "Personalen på boendet tvingades ställa in promenaden på grund av regnet.",
    "Vi fick vänta i timmar på färdtjänsten till dagverksamheten.",
    "Min pappa har demens och vi vill att han får komma ut mer på promenader från boendet.",
    "Skolsköterskan gav fel dos av allergimedicin till min dotter i skolan.",
    "Jag har hemtjänst och min handläggare har tappat bort min ansökan om fler timmar.",
    "Min mamma bor på äldreboendet och personalen har varit jättebra, men parkeringen är alltid full.",
    "Min pappa har hemtjänst och tycker att personalen pratar för fort och är lite stressade.",
    "The care home lost my mother's glasses and her cardigan in the laundry.",
    "På äldreboendet stängdes caféet och de boende har inget att göra på eftermiddagarna.",
    "Jag är god man för min bror och vill ha kopior av kvittona från boendet varje månad.",
    "Min dotter har assistans och assistenten kommer ofta sent och lämnar tidigt.",
    "My mum fell at the care home, but the staff were with her within minutes and called the ambulance. I am grateful.",
    "Kotihoitaja unohti ostaa maitoa.",
    "Jag vill klaga på att hemtjänsten ringde och flyttade besöket utan att fråga.",
    "Min mamma bor på äldreboendet och trivs, men vi tycker att det är för lite aktiviteter på helgerna.",
    "Hemtjänsten har bytt tid på morgonbesöket utan att fråga pappa, nu kommer de klockan tio istället för åtta.",
    "Jag vill klaga på att min pappa fick vänta länge på sin rullstol från hjälpmedelscentralen.",
    "Min son på förskolan kom hem med ett blåmärke på armen efter att ha ramlat på gården, pedagogerna berättade det.",
    "Det är för få personal på korttids på helgerna och barnen får inte gå ut lika mycket.",
    "I parken ligger det glas och sprutor, någon kan skada sig allvarligt.",
    "Maten på boendet är smaklös och ofta för salt, mamma äter nästan ingenting av middagen.",
    "Min mamma med demens har svårt att hitta på boendet, kan ni sätta upp skyltar?",
    "Tack till personalen på Lunden som tog så väl hand om pappa hans sista tid.",
    "Hemtjänsten glömde att ta ut soporna och diska i veckan.",
    "Jag har ansökt om hemtjänst för tre veckor sedan och ingen handläggare har hört av sig.",
    "My mother's carers are lovely but they are always in a hurry and never have time to talk.",
    "The home care company keeps sending different people and my father gets confused.",
    "I would like to suggest that the care home offers more vegetarian meals.",
    "Kotihoitajat ovat usein myöhässä ja vaihtuvat koko ajan.",
    "Min dotter har daglig verksamhet och vi tycker att lokalerna är för trånga och bullriga.",
    "Min pappa har larm från hemtjänsten men det är svårt att ladda, kan någon komma och visa?",
    "Personalen på boendet ringde mig när mamma hade feber och allt sköttes bra, men parkeringen är dyr.",
    "Vi vill ha en ny kontaktperson på socialtjänsten eftersom vi inte kommer överens med den nuvarande.",
    "Hemtjänsten tappade bort nyckeln till mammas lägenhet och vi fick byta lås.",
    "Min son blev retad av andra barn på fritids och personalen såg det inte.",
    "Min mamma tappade sin plånbok på stan och hemtjänsten hjälpte henne att spärra kortet. Tack!",
    "Personalen på boendet hittade min pappas klocka som han hade tappat, vad skönt.",
    "Larmet på boendet gick i går kväll på grund av brandövning och de boende blev oroliga.",
    "Golvet i matsalen på boendet är halt när det har torkats, kan ni sätta upp en skylt?",
    "Hemtjänsten kommer inte på helgerna längre och pappa får äta frysmat, det är tråkigt.",
    "Min mamma på boendet vill ha mer tid utomhus, hon sitter inne hela dagarna.",
    "Vi har försökt få svar från boendet om pappas tandvård i två månader.",
    "I want to complain that the care home's visiting hours are too short.",
    "The home care staff are kind but my mother doesn't like the new schedule with visits at 7 am.",
    "My father's medication at the care home was changed by the doctor and nobody told us, we want to be informed.",
    "Mamman hemtjänst ei tule viikonloppuisin ja se on hankalaa.",
    "Min pappa ramlade hemma i köket och hemtjänsten kom efter tio minuter när han larmade och hjälpte honom upp.",
    "Jag är orolig för att min mamma på boendet är ensam mycket, kan hon få en kontaktperson som hälsar på?",
    "Min bror bor i en servicebostad och tycker att hyran har blivit för hög.",
    "Min dotter på gruppbostaden vill byta till en annan daglig verksamhet där hon kan jobba med djur.",
    "Personalen på förskolan låste grinden så att barnen inte kunde springa ut på gatan, bra tycker jag.",
    "Min son har assistans och vi vill ha fler timmar beviljade, handläggaren har inte svarat på vår ansökan.",
    "The nursing home lost my father's hearing aid and it took two weeks to replace it.",
    "Min mamma på boendet fick vänta två timmar på att få komma på toaletten en eftermiddag, personalen var för få.",
]

ABOUT_EMPLOYEE = [
    "Hej. Vår nya handläggare Sanna har inte svarat på ett enda mejl sedan i mars och när jag äntligen fick tag på henne lade hon på luren.",
    "Jag vill framföra klagomål på undersköterskan Bertil på Lunden som alltid är på dåligt humör och muttrar när pappa ber om hjälp.",
    "Min mammas hemtjänstpersonal, en tjej som heter Fia, kommer varje morgon med hörlurar i öronen och säger knappt hej.",
    "Handläggaren på socialtjänsten, Kristian, pratade nedlåtande till mig och sa att jag borde skaffa ett jobb istället för att söka bistånd.",
    "Förskolläraren i gruppen Solrosen skäller på barnen så att min dotter inte vill gå dit längre.",
    "Jag vill att någon pratar med boendestödjaren Tove, hon har vid tre tillfällen glömt att komma och inte hört av sig.",
    "Den nya nattsköterskan på boendet är mycket hårdhänt när hon vänder mamma.",
    "The support worker assigned to my son, a man called Derek, keeps cancelling visits at the last minute and never explains why.",
    "I want to make a complaint about the manager of the day centre, Mrs Holm, who spoke to my mother in a very condescending way.",
    "One of the home care staff, the young man who comes on Fridays, smokes inside my father's flat even though he has asked him not to.",
    "My caseworker at social services, Jenna, shouted at me on the phone and hung up.",
    "Kotihoitaja Pirjo on aina töykeä äidilleni ja puhuu puhelimessa koko käynnin ajan.",
    "Äidin omahoitaja Marja ei koskaan vastaa puheluihin ja unohti viime viikolla tuoda lääkkeet.",
    "Tack för att ni lyssnar. Jag måste tyvärr klaga på en av assistenterna, Jonas, som sover under sina nattpass hos min son.",
    "Vaktmästaren på äldreboendet, han som heter Sune, kör ut min pappa ur tvättstugan varje gång och skäller på honom.",
    "Hej! Jag är mycket besviken på kontaktpersonen Malin som skulle hjälpa min son med ansökan. Hon lovade att ringa tillbaka men har inte gjort det på en månad.",
    "Assistenten Peter dyker upp en timme sent nästan varje dag och då får min dotter vänta i sängen.",
    "Min pappas hemtjänst fungerar bra, förutom en person, Leila, som är otrevlig och suckar högt när han behöver hjälp.",
    "Jag skriver om chauffören på färdtjänsten till dagverksamheten. Han kör alldeles för fort och skriker på de äldre när de är långsamma.",
    "Läraren på förskolan, Bengt, låser in sig på personalrummet och låter barnen vara ute utan tillsyn.",
    "Vi är missnöjda med socialsekreteraren Hassan. Han har lämnat ut uppgifter om oss till vår hyresvärd utan att fråga.",
    "Kan någon prata med fritidsledaren Jocke? Han svär inför barnen och visar olämpliga videor.",
    "Boendestödjaren som kommer på tisdagar, Patrik, har flera gånger bett om att få låna min dator.",
    "I'm writing to complain about one of the carers at Lunden, Agnes. She is always impatient with my mum and rushes her through meals.",
    "The new support worker, Tom, keeps turning up late and leaving early, and he lies about it in the log.",
    "Please have a word with the driver who takes my father to the day centre on Mondays. He does not help him out of the car and just drives off.",
    "Our caseworker, Lina, promised a decision in two weeks and has not replied to any of my emails since.",
    "Kotihoidon työntekijä Sari jättää aina oven auki ja on epäkohtelias isälleni.",
    "Fwd: Mitt tidigare mejl\n\nJag skrev nedan för en månad sedan utan svar.\n\n---------- Vidarebefordrat meddelande ----------\nFrån: Eva Berg <eva.berg@example.com>\n\nUndersköterskan Kim på Lunden tar pappas telefon ifrån honom på kvällarna så att han inte kan ringa oss.",
    "Det gäller personalen på korttidshemmet. En av dem, den långa killen med skägg som jobbar helger, skäller ut min son inför de andra barnen.",
]

NOT_ABOUT_EMPLOYEE = [
    "Personalen på Lunden är underbar, särskilt undersköterskan Bertil. Men maten är kall och det är för lite aktiviteter.",
    "Jag pratade med enhetschefen Anna som sa att de ska titta på schemat. Vi väntar fortfarande på ett nytt schema.",
    "Hemtjänsten har för lite personal och alla springer hela tiden. Min mamma får aldrig prata med någon.",
    "Handläggaren Kristian har varit jättebra, men beslutet tar för lång tid eftersom nämnden bara sammanträder en gång i månaden.",
    "Tack till Fia i hemtjänsten som alltid är glad och aldrig stressad!",
    "Min mamma Ingrid har hemtjänst och de kommer för sent varje morgon.",
    "The staff at the day centre are lovely, especially Derek, but the bus is always late.",
    "I spoke to the manager, Mrs Holm, and she said the schedule will change in May. That is too long to wait.",
    "Kotihoidon henkilökunta on aina kiireinen eikä kukaan ehdi jutella äidin kanssa.",
    "Min granne Birgitta och jag tycker att parken är nedskräpad.",
    "Jag vill klaga på att förskolan stänger klockan 16 på fredagar.",
    "Vi har haft tre olika boendestödjare på två månader och min son blir orolig av alla byten.",
    "Undersköterskan Lisa ringde mig direkt när mamma ramlade, tack. Men varför fick vi inte veta om flytten i förväg?",
    "Jag är missnöjd med beslutet om hemtjänst. Min handläggare förklarade det bra, men jag tycker att beslutet är fel.",
    "Our neighbour Kevin told us the home care never came on Sunday, which is not acceptable.",
    "Hej, jag vill tacka kontaktpersonen Malin som hjälpte min son med ansökan, men Försäkringskassan tar för lång tid.",
    "Vi är missnöjda med att hemtjänsten har bytt personal tre gånger den här månaden, alla är trevliga men pappa blir förvirrad.",
    "Chauffören på färdtjänsten var jättetrevlig men bilen kom en halvtimme sent, det är inte första gången.",
    "I spoke with the caseworker Lina who explained that the decision is delayed because of the new rules. I think the rules are unfair.",
    "Socialtjänsten svarar aldrig i telefon, man får vänta i en timme i kön.",
    "Undersköterskorna på Lunden är stressade och hinner inte med, det behövs mer personal.",
    "Min son Patrik har boendestöd och vi tycker att det borde vara fler timmar.",
    "The carers from home care are kind, but they are never given enough time by the schedule.",
    "Jag vill klaga på att enhetschefen inte har svarat på mitt mejl om ny tid för mötet.",
    "Min dotter Agnes går på förskolan och vi vill att ni ordnar fler utflykter.",
    "Kotihoidon työntekijät ovat ystävällisiä, mutta käyntiajat muuttuvat koko ajan.",
    "Tack till assistenten Peter som alltid kommer i tid och är så snäll mot vår dotter!",
    "Jag är arg på att parkeringen vid boendet är dyr och att ingen bryr sig om det.",
    "Receptionen på socialkontoret var stängd när jag kom, trots att det stod öppet på hemsidan.",
    "Enhetschefen Maria ringde och förklarade varför besöken ändrats. Jag är ändå inte nöjd med det nya schemat.",
]


@pytest.mark.parametrize("text", LEX_SARAH)
def test_misconduct_in_care_is_lex_sarah(text: str) -> None:
    c = classify_text(text, "", ORG)
    assert "lex_sarah" in c.flags, c.cues
    assert c.kind is Kind.COMPLAINT
    assert any(cue.startswith("lex_sarah:") for cue in c.cues)


@pytest.mark.parametrize("text", NOT_LEX_SARAH)
def test_care_without_misconduct_school_park_and_praise_are_not_lex_sarah(text: str) -> None:
    c = classify_text(text, "", ORG)
    assert "lex_sarah" not in c.flags, c.cues


@pytest.mark.parametrize("text", ABOUT_EMPLOYEE)
def test_one_employee_singled_out_with_what_they_did_is_about_an_employee(text: str) -> None:
    c = classify_text(text, "", ORG)
    assert "about_employee" in c.flags, c.cues
    assert c.kind is Kind.COMPLAINT


@pytest.mark.parametrize("text", NOT_ABOUT_EMPLOYEE)
def test_staff_as_a_group_a_manager_answering_and_praise_in_passing_are_not_about_an_employee(text: str) -> None:
    c = classify_text(text, "", ORG)
    assert "about_employee" not in c.flags, c.cues


def test_the_legal_words_count_only_where_asserted() -> None:
    asserted, denied = sarah.legal_terms("Jag vill göra en lex Sarah-anmälan om hur mamma behandlas.")
    assert asserted == ["lex sarah"] and denied == []
    asserted, denied = sarah.legal_terms("Det här är INTE något lex Sarah-ärende, ingen har farit illa.")
    assert asserted == [] and denied == ["lex sarah"]
    asserted, _ = sarah.legal_terms("Om det hade hänt på ett äldreboende hade det blivit en lex Sarah.")
    assert asserted == []


def test_a_pair_needs_both_parts_and_says_which_kind_fired() -> None:
    [cue] = sarah.misconduct("Personalen lämnade henne naken i duschen och gick ut.")
    assert cue.kind == "left naked" and not cue.alone and "naken" in cue.words
    assert sarah.misconduct("Personalen hjälpte henne att duscha naken, som vanligt.") == []
    # money that has not come is nobody's misconduct
    assert sarah.misconduct("Pengarna från försörjningsstödet saknas på mitt konto.") == []
    assert [c.kind for c in sarah.misconduct("Det saknas pengar i hans plånbok efter besöken.")] == ["financial"]


def test_a_small_matter_keeps_only_grave_misconduct() -> None:
    mild = classify_text("Det är inget stort, men aktivitetsledaren på boendet förödmjukar mamma ibland.", "", ORG)
    assert "lex_sarah" not in mild.flags
    grave = classify_text("Det är inget stort för dem, men en i personalen på boendet slog pappa.", "", ORG)
    assert "lex_sarah" in grave.flags


def test_a_relatives_name_is_never_the_employee() -> None:
    c = classify_text("Min son Oscar bor på gruppbostaden. Oscar låstes in på sitt rum i går kväll.", "", ORG)
    assert "lex_sarah" in c.flags and "about_employee" not in c.flags, c.cues


def test_the_staff_member_who_told_the_writer_is_a_source_not_the_subject() -> None:
    c = classify_text("Mamma fick fel tabletter i går enligt en av personalen på boendet.", "", ORG)
    assert "lex_sarah" in c.flags and "about_employee" not in c.flags, c.cues
