"""The tariff comparison, HS codes and tariff versions, as protos."""

from __future__ import annotations

from protos.origin_cert.v1 import tariffs_pb2 as pb
from services.chassis import wire
from services.origin_cert.domain.tariffs import MFN, Rate, saving
from services.origin_cert.handlers.tariffs import Comparison, VersionView
from services.origin_cert.models import HsItem


def _rate_pb(rate: Rate, comparison: Comparison) -> pb.TariffRate:
    cut = saving(comparison.mfn, rate) if rate.agreement != MFN else None
    return pb.TariffRate(agreement=rate.agreement,
                         agreement_name=comparison.names.get(rate.agreement, "最惠国税率"),
                         hs_code=rate.hs_code, rate=wire.decimal_text(rate.rate.normalize()), rate_text=rate.text,
                         year=rate.year, saving=wire.decimal_text(cut.normalize() if cut is not None else None))


def comparison_pb(comparison: Comparison) -> pb.TariffComparison:
    return pb.TariffComparison(
        origin_country=comparison.origin, destination_country=comparison.destination,
        importing_country=comparison.importing_country, hs_code=comparison.hs_code,
        description=comparison.description,
        mfn=_rate_pb(comparison.mfn, comparison) if comparison.mfn else None,
        rates=[_rate_pb(r, comparison) for r in comparison.rates],
        best_agreement=comparison.rates[0].agreement if comparison.rates else "")


def hs_code_pb(item: HsItem) -> pb.HsCode:
    return pb.HsCode(code=item.code, description=item.description, description_en=item.description_en)


def version_pb(view: VersionView) -> pb.TariffVersion:
    v = view.version
    return pb.TariffVersion(version=v.version, title=v.title, correlation_count=view.correlation_count,
                            affected_products=v.affected_products, create_time=wire.timestamp(v.created_at))
