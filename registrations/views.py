"""Being written: placeholder so the URLconf imports."""

from django.http import Http404


def round_list(request, **kwargs):
    raise Http404


def round_open(request, **kwargs):
    raise Http404


def calendar_edit(request, **kwargs):
    raise Http404


def round_detail(request, **kwargs):
    raise Http404


def request_entries(request, **kwargs):
    raise Http404


def proposals(request, **kwargs):
    raise Http404


def proposals_send(request, **kwargs):
    raise Http404


def entry_list_detail(request, **kwargs):
    raise Http404


def entries_make(request, **kwargs):
    raise Http404


def entry_list_return(request, **kwargs):
    raise Http404


def entry_list_sign(request, **kwargs):
    raise Http404


def row_query(request, **kwargs):
    raise Http404


def query_answer(request, **kwargs):
    raise Http404


def row_amend(request, **kwargs):
    raise Http404


def row_remove(request, **kwargs):
    raise Http404


def entry_list_submit(request, **kwargs):
    raise Http404


def entry_list_versions(request, **kwargs):
    raise Http404
