"""HL7 v2 ORU^R01 as hospitals send it: assigning authorities with subcomponents, offsets, SN values."""

from __future__ import annotations

from pathlib import Path

from oncobank.ingest.adapters import read_rows
from oncobank.ingest.mapping import Source

HL7 = Source(name="lab", system="LIS", format="hl7", files=["x.hl7"], patient_id="PID-3:MPI")

# Written for the test in the shape of a public-health lab's result message: PID-3 with an ISO OID authority,
# timestamps with a UTC offset (and one with a fraction of a second), a structured numeric (SN) result, and a
# free-text reference range.
MESSAGE = "\r".join([
    "MSH|^~\\&|LAB|FACILITY^2.16.840.1.113883.19.3.1^ISO|EHR|CLINIC|20080818183002.1-0700||ORU^R01^ORU_R01|"
    "MSG-0001|P|2.5.1",
    "PID|1||10083^^^MPI&2.16.840.1.113883.19.3.2.1&ISO^MR~444-33-3333^^^SSN&2.16.840.1.113883.4.1&ISO^SS||"
    "Doe^Jane^Q||19750802|F",
    "OBR|1|ORD-1^EHR|LAB-1^LAB|10368-9^Lead BldC-mCnc^LN|||200808151030-0700||||||||||||||||||F",
    "OBX|1|SN|10368-9^Lead BldC-mCnc^LN||^182|ug/dL^microgram per deciliter^UCUM|<9 mcg/dL: Acceptable background"
    " lead exposure|H|||F|||20080815103000.0000-0700",
    "OBX|2|SN|5778-6^Color^LN||<^0.5|mg/L|||||F",
    "OBX|3|NM|2345-7^Glucose^LN||95|mg/dL|70-99||||F|||200808151030",
]) + "\r"


def test_a_result_message_of_the_real_shape(tmp_path: Path) -> None:
    (tmp_path / "x.hl7").write_text(MESSAGE, encoding="utf-8")
    rows = list(read_rows(HL7, tmp_path / "x.hl7", tmp_path))
    assert [r.problem for r in rows] == [None, None, None]
    first = rows[0].fields
    # the patient ID matches on the namespace alone; the full authority still names it too
    assert first["PID-3:MPI"] == "10083" and first["PID-3:MPI&2.16.840.1.113883.19.3.2.1&ISO"] == "10083"
    assert first["PID-3:SSN"] == "444-33-3333"
    # timestamps in the sender's local time, offset and fraction gone, which '%Y%m%d%H%M(%S)' reads
    assert (first["OBR-7"], first["OBX-14"], first["MSH-7"]) == ("200808151030", "20080815103000",
                                                                 "20080818183002")
    # SN values as numbers (with their comparator); NM untouched
    assert [r.fields["OBX-5"] for r in rows] == ["182", "<0.5", "95"]
    assert first["OBX-5.2"] == "182"
    # the free-text reference range is kept as the laboratory wrote it
    assert first["OBX-7"] == "<9 mcg/dL: Acceptable background lead exposure"
    assert rows[2].fields["OBX-14"] == "200808151030"


def test_values_that_only_look_like_timestamps_stay(tmp_path: Path) -> None:
    message = MESSAGE.replace("|95|", "|1234567890123|").replace("|70-99|", "|12345678-1234|")
    (tmp_path / "x.hl7").write_text(message, encoding="utf-8")
    last = list(read_rows(HL7, tmp_path / "x.hl7", tmp_path))[-1].fields
    assert (last["OBX-5"], last["OBX-7"]) == ("1234567890123", "12345678-1234")
