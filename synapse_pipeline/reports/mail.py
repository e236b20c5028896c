"""The report as it is mailed, built once when the report is rendered: every recipient gets these very bytes.

Plain text and the report as HTML with its charts inline as palette PNGs (by Content-ID): the report once, about
70 KB for a month of the sample. Delivery adds only the recipient's headers (From, To, Date, Message-ID).
"""

from email import message_from_string, policy
from email.message import EmailMessage

from synapse_pipeline.reports.chart_image import Chart
from synapse_pipeline.reports.model import MonthlyReport
from synapse_pipeline.reports.render import render_report, report_subject, report_text

REPORT_HEADER = "X-Synapse-Report"  # the report a message carries


def mail_form(report: MonthlyReport, charts: dict[str, Chart]) -> str:
    """The MIME message of a report without its recipient's headers, as stored in `report_email`: the stored
    report's HTML with the same chart images attached."""
    message = EmailMessage()
    message["Subject"] = report_subject(report)
    message[REPORT_HEADER] = report.name
    # Quoted-printable and base64 keep the message 7-bit: it crosses any SMTP server intact.
    message.set_content(report_text(report), cte="quoted-printable")
    message.add_alternative(render_report(report, charts, attached=True), subtype="html", cte="quoted-printable")
    html_part = message.get_payload()[1]
    for cid, chart in charts.items():
        html_part.add_related(
            chart.png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png", disposition="inline"
        )
    return message.as_string(policy=policy.default)


def parsed(form: str) -> EmailMessage:
    """A stored mail form as a message, ready for its recipient's headers."""
    return message_from_string(form, policy=policy.default)  # type: ignore[return-value]
