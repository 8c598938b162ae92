"""Statements folded into one box each: which statements fold, their summaries, the picture, the cap."""

import xml.etree.ElementTree as ET

from app.fold import groups
from app.graph_service import get_service
from app.schemas import GraphRequest
from app.settings import get_settings
from engine import parse, trace

SVG = "{http://www.w3.org/2000/svg}"
NEURON10 = (
    "".join(f"x{i} = {i / 10}\nw{i} = {(-1) ** i * 0.3}\n" for i in range(1, 11))
    + "b = 0.5\no = tanh("
    + " + ".join(f"w{i}*x{i}" for i in range(1, 11))
    + " + b)\n"
)


def classes(svg: str) -> dict[str, str]:
    return {g.get("id"): g.get("class") for g in ET.fromstring(svg).iter(f"{SVG}g")}


def test_parse_says_which_statement_made_each_node():
    statements: dict[int, int] = {}
    root = parse("a = 2.0\nb = a*3\nL = b + a", statements=statements)
    nodes, _ = trace(root)
    made = {(n.label or f"{n.data:g}"): statements[id(n)] for n in nodes}
    assert made == {"a": 0, "3": 1, "b": 1, "L": 2}


def test_a_neuron_folds_into_one_box_with_a_sigma_summary(client):
    body = client.post("/api/graph", json={"source": NEURON10}).json()
    (group,) = body["groups"]
    assert group["name"] == "o" and group["summary"] == "tanh(Σ w·x + b)"
    assert len(group["members"]) == 42 and group["members"][-1] == body["output"]  # 21 leaves, 21 ops
    assert body["folded"] == [] and classes(body["svg"])[f"group-{group['statement']}"] == "cluster group"
    folded = client.post("/api/graph", json={"source": NEURON10, "fold": [group["statement"]]}).json()
    assert folded["folded"] == [group["statement"]]
    drawn = {k: v for k, v in classes(folded["svg"]).items() if k and k.startswith("node-")}
    assert drawn == {f"node-{body['output']}": "node value folded role-output grad-pos"}
    assert "tanh(Σ w·x + b)" in folded["svg"] and "data 0." in folded["svg"]
    # the numbers do not change with the picture
    assert [n["grad"] for n in folded["nodes"]] == [n["grad"] for n in body["nodes"]]


def test_summaries_keep_brackets_and_small_sums():
    answer = get_service().from_root(
        parse("y = 1.0\nz = 2.0\nloss = (z - y)**2\nq = 2*(loss + 1)", statements=(s := {})), statements=s
    )
    assert [g.summary for g in answer.groups] == ["(z − y)**2", "2·(loss + 1)"]


def test_a_program_past_the_cap_is_drawn_folded(client):
    cap = get_settings().max_render_nodes
    rows = [f"x{i} = {i}.0" for i in range(1, 6)]
    rows += [f"y{k} = " + " + ".join(f"0.{k % 9 + 1}*x{i}" for i in range(1, 6)) for k in range(1, 41)]
    rows.append("L = " + " + ".join(f"y{k}" for k in range(1, 41)))
    response = client.post("/api/graph", json={"source": "\n".join(rows)})
    assert response.status_code == 200
    body = response.json()
    assert len(body["nodes"]) > cap and len(body["folded"]) == 41
    # asked to draw it unfolded: refused, saying what the cap is
    response = client.post("/api/graph", json={"source": "\n".join(rows), "fold": []})
    assert response.status_code == 422 and f"limited to {cap} values" in response.json()["detail"]["message"]


def test_groups_leave_out_statements_with_one_value_and_shared_leaves():
    source = "a = 2.0\nb = 3.0\ne = a*b\nd = e + a\n"
    statements: dict[int, int] = {}
    answer = get_service().from_root(parse(source, statements=statements), statements=statements)
    found = groups(answer.nodes)
    by_name = {g.name: g for g in found}
    # a is used by two statements, so it stays on its own; b goes inside e's box
    assert set(by_name) == {"e"} and len(by_name["e"].members) == 2
    assert GraphRequest(source=source, fold=[2]).fold == [2]


def test_past_every_cap_the_values_come_without_a_picture(client):
    source = "x = 1.0\ny = x + x\n" + "y = y + x\n" * get_settings().max_render_nodes
    assert client.post("/api/graph", json={"source": source}).status_code == 422
    body = client.post("/api/graph", json={"source": source, "picture": False}).json()
    assert body["svg"] == "" and len(body["nodes"]) > get_settings().max_render_nodes
    assert body["nodes"][0]["grad"] == len(body["nodes"])  # x: 2 from x + x, then 1 from each y + x
