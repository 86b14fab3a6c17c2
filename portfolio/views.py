from django.shortcuts import render

from portfolio.selectors import portfolio_cards_for


def home(request):
    return render(request, "portfolio/home.html", {"portfolios": portfolio_cards_for(request.user)})
