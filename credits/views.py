from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from leads.queries import purchase_for
from marketplace.errors import DomainError, add_domain_error
from marketplace.views import contractor_required

from . import policy, queries, services
from .forms import AppealForm, ClaimForm


@contractor_required
def credits_page(request):
    claims = queries.claims_with_leads_for(request.contractor)
    page = Paginator(claims, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "credits/claims.html",
        {
            "nav": "credits",
            "page": page,
            # Every appealable claim shows the same empty field: rendered once, not per claim.
            "appeal_field": render_to_string(
                "partials/_field.html", {"field": AppealForm()["notes"]}
            ),
            "contractor": request.contractor,
        },
    )


@contractor_required
def file_claim(request, purchase_id):
    purchase = purchase_for(request.contractor, purchase_id)
    if purchase is None:
        raise Http404("No such lead among your purchases.")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_claim(
                purchase,
                contractor=request.contractor,
                reason=form.cleaned_data["reason"],
                notes=form.cleaned_data["notes"],
            )
        except services.ClaimDeclined as error:
            form.add_error(None, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Credit request received. We will email you the decision.")
            return redirect("credits:credits")
    return render(
        request,
        "credits/file_claim.html",
        {
            "nav": "credits",
            "purchase": purchase,
            "form": form,
            "reasons": policy.REASONS,
            "not_creditable": policy.NOT_CREDITABLE,
            "deadline": policy.claim_deadline(purchase.created_at),
            "open": queries.can_claim(purchase, now=timezone.now()),
            "already_credited": queries.net_credited_cents(purchase) >= purchase.price_cents,
            "not_charged": policy.NOT_CHARGED if purchase.price_cents == 0 else "",
            "now": timezone.now(),
        },
    )


@require_POST
@contractor_required
def appeal(request, claim_id):
    claim = queries.claim_for(request.contractor, claim_id)
    if claim is None:
        raise Http404("No such credit request.")
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_claim(
                claim, contractor=request.contractor, notes=form.cleaned_data["notes"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, "Appeal received. Another reviewer will decide; that decision is final."
            )
    else:
        messages.error(request, "Explain what the first decision missed.")
    return redirect("credits:credits")
