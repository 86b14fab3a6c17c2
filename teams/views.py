from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from teams import profile as services
from teams.profile import DigestForm

NEW_TOKEN_SESSION_KEY = "profile_new_api_token"
TOKEN_ACTIONS = {"token-create", "token-regenerate"}


def profile(request):
    """Your name and e-mail, the weekly digest switch and your API token.

    A new token is shown once: right after it is made (in the htmx answer, or through
    the session across the redirect without htmx), never again afterwards.
    """
    user = request.user
    digest_form = DigestForm(instance=user)
    new_token = None
    partial = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "digest":
            digest_form = DigestForm(request.POST, instance=user)
            if digest_form.is_valid():
                digest_form.save()
                if not request.htmx:
                    messages.success(request, "Your digest setting is saved.")
                    return redirect("profile")
            partial = "digest-panel"
        elif action in TOKEN_ACTIONS:
            new_token = services.api_token_create(user=user).key
            partial = "token-panel"
            if not request.htmx:
                request.session[NEW_TOKEN_SESSION_KEY] = new_token
                return redirect("profile")
        elif action == "token-revoke":
            services.api_token_revoke(user=user)
            partial = "token-panel"
            if not request.htmx:
                messages.success(request, "Your API token is revoked: it no longer works.")
                return redirect("profile")
        else:
            return HttpResponseBadRequest("Unknown action.")
    else:
        new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "digest_form": digest_form,
        "token": services.api_token_of(user),
        "new_token": new_token,
    }
    template = f"teams/profile.html#{partial}" if request.htmx and partial else "teams/profile.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
