"""What the triage page shows of a report a partner agency's system referred in.

`kinga.intake.seams.ReportOrigins`, registered from `ApiConfig.ready`: intake sits below the
API and does not know integrations.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kinga.api.models import Integration
from kinga.directory.models import ServiceType
from kinga.intake.models import Channel, Report
from kinga.intake.seams import ReportOrigin


class PartnerOrigins:
    """A referral in: the agency that sent it, through which of its systems, the partner's
    own reference and the services it asks for. Its reason is the report's words, shown
    with the report's identity section as any report's are."""

    def origin_of(self, *, report: Report, identity: bool) -> ReportOrigin | None:
        if report.channel != Channel.PARTNER or report.logged_by_id is None:
            return None
        integration = (
            Integration.objects.select_related("agency")
            .filter(account_id=report.logged_by_id)
            .first()
        )
        if integration is None:
            return None
        payload = report.raw_payload if isinstance(report.raw_payload, dict) else {}
        labels = dict(ServiceType.choices)
        services = [str(labels[code]) for code in payload.get("services", []) if code in labels]
        detail = _("%(agency)s (%(system)s), their reference %(reference)s") % {
            "agency": integration.agency.name,
            "system": integration.name,
            "reference": payload.get("reference", ""),
        }
        if services:
            detail += " · " + _("asks for: %(services)s") % {"services": ", ".join(services)}
        return ReportOrigin(
            sender=integration.name,
            agency=integration.agency.name,
            heading=_("Referred by a partner agency"),
            detail=detail,
        )
