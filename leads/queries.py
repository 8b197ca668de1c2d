"""Reads of leads shared by views, the API and other apps."""

from .models import Lead

HOMEOWNER_STATUS = {
    Lead.Status.SUBMITTED: ("Received", "We have your request and are checking it."),
    Lead.Status.SCREENING: (
        "Being checked",
        "A member of our team is checking a detail of your request. This usually takes "
        "less than a business day.",
    ),
    Lead.Status.OPEN: (
        "Finding pros",
        "We are showing your request to local pros who do this work. You will hear from "
        "them directly by your preferred contact method.",
    ),
    Lead.Status.FILLED: ("Matched", "Pros have accepted your request and will contact you."),
    Lead.Status.EXPIRED: (
        "No match this time",
        "No pro could take your request in time. You are welcome to send a new one.",
    ),
    Lead.Status.REJECTED: ("Closed", "This request is closed and will not be shared."),
}


def leads_for_status_page():
    return Lead.objects.select_related("category", "zip_code")


def homeowner_status(lead: Lead) -> dict:
    title, explanation = HOMEOWNER_STATUS[lead.status]
    if lead.status == Lead.Status.REJECTED and lead.rejection_reason == Lead.RejectReason.DUPLICATE:
        explanation = (
            "You already sent us this request recently, and we are still working on it. "
            "Use the link in the first confirmation email to follow it."
        )
    return {"title": title, "explanation": explanation}


def masked_email(lead: Lead) -> str:
    """d•••@example.com: enough for the homeowner to recognise, little for anyone else."""
    local, _, domain = lead.email.partition("@")
    return f"{local[:1]}•••@{domain}"
