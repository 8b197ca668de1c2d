"""The homeowner's quote form, filled as a person does, for the browser tests that send it."""


def fill_quote_form(
    page,
    *,
    name="Dana Rivera",
    phone="619 555 0142",
    email="dana@example.com",
    description="Kitchen sink drain is clogged, water backs up.",
    timeframe="Urgent (within days)",
    consent=True,
):
    """Every field of /quote/ for a plumbing job in 92101; the caller presses Send."""
    page.get_by_label("What do you need?").select_option(label="Plumbing")
    page.get_by_label("Zip code of the job").fill("92101")
    page.get_by_label("Describe the job").fill(description)
    page.get_by_label(timeframe).check()
    page.get_by_label("I own the property").check()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_role("textbox", name="Email").fill(email)
    if consent:
        page.get_by_label("I agree that Fairlead may share").check()
