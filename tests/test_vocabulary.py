"""The vocabulary table must carry exactly the codes of the shared spec (vocabulary.md)."""

from conftest import REPOSITORY

from pipeline.vocabulary import load_vocabulary, vocabulary_markdown

# Codes as listed in the shared specification, vocabulary.md (copied here: tests never read ../shared).
SPEC_APPLICANT_TYPES = [
    "natural_person",
    "org_commercial",
    "org_research",
    "org_social",
    "org_legal_service",
    "org_other",
    "total",
]
SPEC_APPLICATION_CATEGORIES = [
    "new_received",
    "carried_over",
    "granted",
    "partial",
    "denied_state_secret",
    "denied_law_prohibited",
    "denied_security_stability",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_admin_query",
    "unable_not_held",
    "unable_needs_creation",
    "unable_unclear",
    "not_processed_petition",
    "not_processed_repeat",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirm",
    "other_total",
    "other_no_correction",
    "other_fee_unpaid",
    "other_misc",
    "processed_total",
    "carried_forward",
]
SPEC_REVIEW_CATEGORIES = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
SPEC_REVIEW_METRICS = ["upheld", "corrected", "other", "pending", "total"]
SPEC_PROACTIVE_CATEGORIES = [
    "regulation",
    "normative_doc",
    "licensing",
    "other_admin_service",
    "penalty",
    "coercion",
    "admin_fee",
    "central_procurement",
]
SPEC_PROACTIVE_METRICS = [
    "issued",
    "repealed",
    "in_force",
    "decisions",
    "fee_amount",
    "new_made",
    "new_published",
    "total_published",
    "prev_items",
    "change",
    "procurement_items",
    "procurement_amount",
]


def test_codes_are_those_of_the_spec_in_template_order():
    vocabulary = load_vocabulary()
    applicant_types = vocabulary.codes("applications", "applicant_type")
    assert [c for c in applicant_types if c != "org_subtotal"] == SPEC_APPLICANT_TYPES
    assert vocabulary.codes("applications", "category") == SPEC_APPLICATION_CATEGORIES
    assert vocabulary.codes("review_litigation", "category") == SPEC_REVIEW_CATEGORIES
    assert vocabulary.codes("review_litigation", "metric") == SPEC_REVIEW_METRICS
    proactive = vocabulary.codes("proactive", "category")
    assert [c for c in proactive if "." not in c] == SPEC_PROACTIVE_CATEGORIES
    assert vocabulary.codes("proactive", "metric") == SPEC_PROACTIVE_METRICS


def test_no_label_key_means_two_things_of_the_same_kind():
    vocabulary = load_vocabulary()
    owner: dict[tuple[str, str, str], str] = {}
    for term in vocabulary.terms:
        for key in term.keys:
            slot = (term.section, term.kind, key)
            assert slot not in owner or owner[slot] == term.code, f"{key} means {owner[slot]} and {term.code}"
            owner[slot] = term.code


def test_labels_match_the_most_specific_term():
    vocabulary = load_vocabulary()
    rows = ("category", "group", "heading")
    assert vocabulary.match("2.其他法律行政法规禁止公开", "applications", rows).code == "denied_law_prohibited"
    assert vocabulary.match("3.其他", "applications", rows).code == "other_misc"
    assert vocabulary.match("（三）不予\n公开", "applications", rows).code == "denied"
    assert vocabulary.match("1.属于国家秘密的", "applications", rows).code == "denied_state_secret"
    assert vocabulary.match("行政法复议", "review_litigation", ("category",)).code == "reconsideration"
    assert vocabulary.match("这不是标签", "applications", rows) is None


def test_the_vocabulary_documentation_is_generated_from_the_table():
    documented = (REPOSITORY / "docs" / "vocabulary.md").read_text(encoding="utf-8")
    assert documented == vocabulary_markdown(load_vocabulary()), (
        "run: python -m pipeline vocabulary > docs/vocabulary.md"
    )
