"""One university name everywhere: the site's header, title and footer, the audit certificate and the documents
pipeline (PDF, signing certificates) all read UNIVERSITY_NAME and UNIVERSITY_OFFICE."""
from __future__ import annotations

from app.agreements import pdf
from app.platform.document_settings import document_settings


def test_pages_and_documents_take_the_name_from_one_setting(web):
    config = web.app.config
    saved = config["UNIVERSITY_NAME"], config["UNIVERSITY_OFFICE"]
    config["UNIVERSITY_NAME"], config["UNIVERSITY_OFFICE"] = "东海理工大学", "学生就业创业指导中心"
    try:
        html = web.client("staff1").get("/").get_data(as_text=True)
        assert '<span class="brand-name">东海理工大学学生就业创业指导中心</span>' in html
        assert "· 东海理工大学学生就业创业指导中心</title>" in html
        assert '<footer class="foot">东海理工大学学生就业创业指导中心' in html
        login = web.client(None).get("/login").get_data(as_text=True)
        assert "东海理工大学学生就业创业指导中心" in login and "示范大学" not in login
        with web.app.app_context():
            settings = document_settings()
            assert (settings.university_name, settings.university_office) == ("东海理工大学", "学生就业创业指导中心")
    finally:
        config["UNIVERSITY_NAME"], config["UNIVERSITY_OFFICE"] = saved
