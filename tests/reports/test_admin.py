from reports.models import ExportJob
from reports.periods import period_of
from reports.services import export_request


def test_the_deployment_admin_edits_weights_others_only_view(town, login, admin_user):
    assert login(admin_user).get("/admin/reports/assessmentweights/add/").status_code == 200
    assert login(town.user("town_staff")).get("/admin/reports/assessmentweights/add/").status_code == 403
    assert login(town.user("town_staff")).get("/admin/reports/assessmentweights/").status_code == 200
    assert login(town.user("officer_a")).get("/admin/reports/assessmentweights/add/").status_code == 403


def test_export_log_is_scoped(town, data, login):
    import datetime

    sept = period_of("month", datetime.date(2026, 9, 1))
    mine = export_request(user=town.user("officer_b"), kind="contacts", place=town.village_b, period=sept)
    other = export_request(user=town.user("officer_a"), kind="contacts", place=town.village_a, period=sept)
    response = login(town.user("officer_b")).get("/admin/reports/exportjob/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    response = login(town.user("discipline")).get("/admin/reports/exportjob/")
    assert set(response.context["cl"].result_list) == {mine, other}
    assert ExportJob.objects.count() == 2
    assert (
        login(town.user("town_staff")).get(f"/admin/reports/exportjob/{mine.pk}/delete/").status_code == 403
    )
