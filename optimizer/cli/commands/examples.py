"""`overlay examples [NAME] [--json]`: SPEC §10 worked examples computed by the product."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("examples", help="the SPEC §10 worked examples, computed by the product",
                       description=__doc__)
    p.add_argument("name", nargs="?", help="one example (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from optimizer.reporting.formatters import dumps
    from optimizer.reporting.output import print_json
    from optimizer.workflows.examples import examples

    out = examples(args.name)
    if args.json:
        print_json(out.to_dict())
        return 0
    for d in out.examples:
        print(f"== {d['title']} ({d['name']})")
        print("inputs:  " + dumps(d["inputs"], indent=None))
        print("results: " + dumps(d["results"]))
        if d.get("notes"):
            print(f"note: {d['notes']}")
        print()
    return 0
