"""What the browser tests share: the realistic record of issue 13 (two children, one a baby;
six people, one by phone and one by email outside the meeting; six agencies), a second person
saving over the first, and a watch for Content-Security-Policy violations."""

import httpx
from bs4 import BeautifulSoup

from tests.e2e.conftest import PASSWORD

PEOPLE = [  # name, agency, role, mode, phone, email, contributed outside the meeting
    ("Priya Shah", "csc", "Team Manager (chair)", "in_person", "01632 960 101", "", False),
    ("DC Mark Evans", "police", "Detective Constable", "video", "01632 960 202", "", False),
    ("Sam Lee", "health_visiting", "Health Visitor", "phone_outside", "01632 960 303", "", True),
    ("Ann Jones", "school", "Designated safeguarding lead", "in_person", "",
     "dsl@riverside.example.sch.uk", False),
    ("Dr Ahmed", "gp", "GP", "email_outside", "", "surgery@example.nhs.uk", True),
    ("Dr Okafor", "hospital", "Consultant paediatrician", "video", "01632 960 404", "", False),
]
# The school named by the school's participant (the directory holds two).
SCHOOL = "Riverside Primary School (School or college)"


def someone_else_saves(base: str, record_url: str, slug: str, changes: dict) -> None:
    """A second person (here the same account in another browser) saves the section."""
    with httpx.Client(base_url=base, follow_redirects=False) as other:
        signed = other.post("/sign-in", data={"username": "e2e", "password": PASSWORD,
                                              "next": "/strategies"})
        assert signed.status_code == 303
        path = record_url.removeprefix(base) + f"/sections/{slug}"
        form = BeautifulSoup(other.get(path).text, "html.parser").select_one("main form")
        data = {field["name"]: field.get("value", "") for field in form.select("input")
                if field.get("name") and field.get("type") not in ("checkbox", "radio")}
        data |= {area["name"]: area.text for area in form.select("textarea")}
        data |= changes | {"row-action": "save"}
        assert other.post(path, data=data).status_code == 303


# Every violation a page reports, as its securitypolicyviolation event: kept in the page
# (window.cspViolations) and said on the console, so it is heard after the page is left. Added
# before any of the page's own script runs.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", event => {
  const said = "securitypolicyviolation " + event.violatedDirective + " " +
    (event.blockedURI || "inline") + " on " + document.location.pathname + " from " +
    event.sourceFile + ":" + event.lineNumber + ":" + event.columnNumber + " in <" +
    (event.target.tagName || "document").toLowerCase() + " id=" + (event.target.id || "") +
    ">: " + (event.sample || "");
  window.cspViolations.push(said);
  console.error(said);
});
"""


class PolicyWatch:
    """The Content-Security-Policy violations in a browser context's pages: Chromium's own
    console messages, and those of the pages' securitypolicyviolation listener."""

    def __init__(self, context):
        self.found: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("page", self._watch)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page) -> None:
        page.on("console", lambda message: self.found.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                or "securitypolicyviolation" in message.text else None)

    def violations(self, page) -> list[str]:
        """Every one so far; the page's own list is read too, in case a message is late."""
        late = [v for v in page.evaluate("window.cspViolations || []")
                if not any(v in found for found in self.found)]
        return self.found + late
