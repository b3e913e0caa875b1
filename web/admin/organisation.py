"""The organisation: bodies as a tree with their councils, clusters with their members; a body,
a council or a cluster created or changed; the whole organisation imported or exported as a file."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from workflow.domain import administration as service
from workflow.domain.models import Body, Cluster, ClusterMembership, Council

from ..auth import hash_password
from ..database import db
from ..extensions import laurel
from ..i18n import localized
from ..params import as_id
from . import bp
from .common import body_choices, council_choices, edit
from .forms import BodyForm, ClusterForm, CouncilForm, ImportForm


@bp.get("/organisation")
def organisation():
    councils = {c.body_id: c for c in db().scalars(select(Council))}
    clusters = db().scalars(select(Cluster).order_by(Cluster.name)).all()
    members: dict[int, list[Body]] = {}
    for membership, body in db().execute(select(ClusterMembership, Body)
                                         .join(Body, Body.id == ClusterMembership.body_id).order_by(Body.name)):
        members.setdefault(membership.cluster_id, []).append(body)
    return render_template("admin/organisation.html", tree=service.body_tree(db()), councils=councils,
                           councils_by_id={c.id: c for c in councils.values()}, clusters=clusters, members=members,
                           levels=laurel.state.catalogue.schema.levels)


# --- bodies, councils, clusters ------------------------------------------------------------------------

def _body_form(body: Body | None) -> BodyForm:
    form = BodyForm(obj=body)
    form.level.choices = [(name, localized(label)) for name, label in laurel.state.catalogue.schema.levels.items()]
    form.parent_id.choices = body_choices(_("— none (a top-level body) —"))
    return form


def _body(body: Body | None):
    return edit(_body_form(body), lambda v: service.save_body(db(), laurel.state.catalogue, body, **v),
                title=body.name if body else _("New body"), saved_message=_("The body has been saved."),
                done=lambda _b: url_for(".organisation"), back=url_for(".organisation"))


@bp.route("/bodies/new", methods=["GET", "POST"])
def new_body():
    return _body(None)


@bp.route("/bodies/<int:body_id>", methods=["GET", "POST"])
def body(body_id: int):
    return _body(db().get(Body, body_id) or abort(404))


def _council(council: Council | None):
    form = CouncilForm(obj=council)
    form.body_id.choices = body_choices("—")
    if council is None and request.method == "GET":
        form.body_id.data = as_id(request.args.get("body"))
    return edit(form, lambda v: service.save_council(db(), council, **v),
                title=council.name if council else _("New council"), saved_message=_("The council has been saved."),
                done=lambda _c: url_for(".organisation"), back=url_for(".organisation"))


@bp.route("/councils/new", methods=["GET", "POST"])
def new_council():
    return _council(None)


@bp.route("/councils/<int:council_id>", methods=["GET", "POST"])
def council(council_id: int):
    return _council(db().get(Council, council_id) or abort(404))


def _cluster(cluster: Cluster | None):
    form = ClusterForm(obj=cluster)
    form.council_id.choices = council_choices()
    form.member_ids.choices = body_choices()
    if cluster is not None and request.method == "GET":
        form.member_ids.data = list(db().scalars(select(ClusterMembership.body_id)
                                                 .where(ClusterMembership.cluster_id == cluster.id)))
    return edit(form, lambda v: service.save_cluster(db(), cluster, **v),
                title=cluster.name if cluster else _("New cluster"), saved_message=_("The cluster has been saved."),
                done=lambda _c: url_for(".organisation") + "#clusters", back=url_for(".organisation"))


@bp.route("/clusters/new", methods=["GET", "POST"])
def new_cluster():
    return _cluster(None)


@bp.route("/clusters/<int:cluster_id>", methods=["GET", "POST"])
def cluster(cluster_id: int):
    return _cluster(db().get(Cluster, cluster_id) or abort(404))


# --- the organisation as a file ------------------------------------------------------------------------

@bp.get("/organisation/export.<fmt>")
def export(fmt: str):
    if fmt not in service.EXPORT_FORMATS:
        abort(404)
    return Response(service.export_file(db(), fmt), mimetype=service.EXPORT_FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="to-chuc.{fmt}"'})


def _not_stored(_password: str) -> str:
    return "(dry run: not stored)"


@bp.route("/organisation/import", methods=["GET", "POST"])
def import_file():
    """Upload an organisation file: every problem located (file:line, or sheet row and column),
    nothing written unless there is none; a dry run shows what would change."""
    form = ImportForm()
    outcome, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors = [_("Choose a file.")]
            status = 400
        else:
            state = laurel.state
            outcome = service.import_organisation(db(), upload.read(), upload.filename, catalogue=state.catalogue,
                                                  role_names=state.definitions.vocabulary.roles,
                                                  hash_password=_not_stored if form.dry_run.data
                                                  else hash_password)
            if not outcome.ok:
                db().rollback()
                status = 400
            elif form.dry_run.data:
                db().rollback()
            else:
                db().commit()  # the new users' passwords are shown in this answer, once
    elif request.method == "POST":
        status = 400
    return render_template("admin/import.html", form=form, outcome=outcome,
                           dry_run=bool(form.dry_run.data)), status
