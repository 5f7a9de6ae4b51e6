from django.urls import path

from batea.insights import views

urlpatterns = [
    path("simulator/", views.SimulatorView.as_view(), name="simulator"),
    path("simulator/plotly.js", views.plotly_js, name="simulator-plotly"),
]
