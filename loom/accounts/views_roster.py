from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from loom.accounts.permissions import coach_required


@coach_required
def roster(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "accounts/roster.html")
