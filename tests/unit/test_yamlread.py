"""yamlread.where: the one way an error message names the line of a YAML key."""

from lavametrics import yamlread

TEXT = """\
top:
  a: 1
  b:
    - x
    - {c: 2}
"""


def _doc():
    return yamlread.load(yamlread.new_yaml(), TEXT, "f.yml")


def test_a_key_its_value_and_a_list_item_are_found_on_their_lines():
    doc = _doc()
    assert yamlread.where("f.yml", doc["top"], "a") == "f.yml:2"
    assert yamlread.where("f.yml", doc["top"], "b", value=True) == "f.yml:4"
    assert yamlread.where("f.yml", doc["top"]["b"], 1) == "f.yml:5"
    assert yamlread.line_of(doc["top"]["b"][1], "c") == 5


def test_an_unknown_key_falls_back_to_its_mapping_and_plain_data_to_the_file():
    doc = _doc()
    assert yamlread.line_of(doc["top"], "missing") is None
    assert yamlread.where("f.yml", doc["top"], "missing") == "f.yml:2"  # the mapping's first line
    assert yamlread.where("f.yml", {"a": 1}, "a") == "f.yml"
    assert yamlread.where("f.yml", [1, 2], 0) == "f.yml"
