from django.utils import translation

from lib.text import join_list, join_sentences


def test_join_list_uses_the_languages_own_separator():
    with translation.override("zh-hans"):
        assert join_list(["N1.1", "N1.2", "H3"]) == "N1.1、N1.2、H3"
    with translation.override("en"):
        assert join_list(["N1.1", "N1.2", "H3"]) == "N1.1, N1.2, H3"


def test_join_list_takes_any_iterable_of_text_like_items():
    with translation.override("zh-hans"):
        assert join_list(iter([1, "乙"])) == "1、乙"
        assert join_list([]) == ""


def test_the_survey_stage_and_the_survey_form_keep_their_own_chinese_words():
    from django.utils.translation import pgettext

    from workflows.models import Stage

    with translation.override("zh-hans"):
        assert str(Stage.SURVEY.label) == "调查摸底"
        assert pgettext("the form a union fills", "Survey") == "调查表"


def test_join_sentences_runs_chinese_on_and_spaces_english():
    with translation.override("zh-hans"):
        assert (
            join_sentences(["沿用：N3.3。", "不再沿用：N3.4。"]) == "沿用：N3.3。不再沿用：N3.4。"
        )
    with translation.override("en"):
        assert join_sentences(["Kept: N3.3.", "Lapsed: N3.4."]) == "Kept: N3.3. Lapsed: N3.4."
