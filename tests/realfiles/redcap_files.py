"""Small REDCap data dictionaries in the shapes real projects have, written for the tests (none is copied)."""

from __future__ import annotations

import csv
import io

from oncobank.dictionary.redcap import REDCAP_COLUMNS
from oncobank.dictionary.redcap_format import API_COLUMNS

# Columns A-R of each row, as a tumour bank's project would hold them: the record ID named study_id with its own
# label, note and required flag and the first form's header; calculated fields, branching logic, action tags,
# a matrix group, slider labels, a section header inside a form, descriptive / file / signature fields,
# date_dmy, time, datetime, phone, e-mail and MRN validations, negative missing-data codes, text vs notes,
# radio vs dropdown against the choice count, autocomplete, a BioPortal look-up and a label with a line break.
TUMOUR_BANK: list[list[str]] = [
    ["study_id", "enrolment", "Enrolment", "text", "Study ID", "", "Assigned by the bank", "", "", "", "", "", "y",
     "", "", "", "", ""],
    ["consent_date", "enrolment", "", "text", "Date of consent", "", "", "date_dmy", "2010-01-01", "today", "", "",
     "y", "", "", "", "", ""],
    ["consent_time", "enrolment", "", "text", "Time of consent", "", "", "time", "", "", "", "", "", "", "", "", "",
     ""],
    ["site", "enrolment", "", "dropdown", "Site", "1, North | 2, South", "", "", "", "", "", "", "", "", "", "", "",
     ""],
    ["age", "enrolment", "", "text", "Age", "", "years", "integer", "18", "120", "", "", "", "", "1a", "", "", ""],
    ["age_band", "enrolment", "", "radio", "Age band",
     "1, 18-29 | 2, 30-39 | 3, 40-49 | 4, 50-59 | 5, 60-69 | 6, 70 or older", "", "", "", "", "", "", "", "", "",
     "", "", ""],
    ["height", "enrolment", "", "text", "Height (cm)", "", "", "number", "50", "250", "", "", "", "", "", "", "", ""],
    ["weight", "enrolment", "", "text", "Weight (kg)", "", "", "number_1dp", "", "", "", "", "", "", "", "", "", ""],
    ["bmi", "enrolment", "", "calc", "BMI", "round([weight]/(([height]/100)^2),1)", "", "", "", "", "", "", "", "",
     "", "", "", "@HIDDEN"],
    ["phone", "contact", "Contact", "text", "Phone", "", "", "phone", "", "", "y", "", "", "", "", "", "", ""],
    ["email", "contact", "", "text", "E-mail", "", "", "email", "", "", "y", "", "", "", "", "", "", ""],
    ["mrn", "contact", "", "text", "Hospital MRN", "", "", "mrn_10d", "", "", "y", "", "", "", "", "", "",
     "@HIDDEN-SURVEY"],
    ["tumour_info", "tumour", "Tumour", "descriptive", "Answer for the primary tumour", "", "", "", "", "", "", "",
     "", "", "", "", "", ""],
    ["diagnosis", "tumour", "", "text", "Diagnosis (ICD-10-CM)", "BIOPORTAL:ICD10CM", "", "", "", "", "", "", "", "",
     "", "", "", ""],
    ["histology", "tumour", "", "dropdown", "Histology", "8260, Papillary | 8330, Follicular | -9, Not known", "",
     "autocomplete", "", "", "", "", "", "", "", "", "", ""],
    ["smoker", "tumour", "", "yesno", "Ever smoked?", "", "", "", "", "", "", "", "", "LH", "", "", "", ""],
    ["pack_years", "tumour", "Exposure", "text", "Pack-years", "", "", "integer", "0", "200", "", "[smoker] = '1'",
     "", "", "", "", "", ""],
    ["pain", "tumour", "", "slider", "Pain today", "None | Moderate | Worst", "", "number", "", "", "", "", "", "",
     "", "", "", ""],
    ["narrative", "tumour", "", "notes", "Pathology narrative\nas dictated", "", "", "", "", "", "", "", "", "", "",
     "", "", ""],
    ["comment", "tumour", "", "text", "Comment", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["report_pdf", "tumour", "", "file", "Pathology report", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["signature", "tumour", "", "file", "Pathologist signature", "", "", "signature", "", "", "", "", "", "", "", "",
     "", ""],
    ["visit_dt", "tumour", "", "text", "Visit", "", "", "datetime_ymd", "2010-01-01 00:00", "", "", "", "", "", "",
     "", "", ""],
    ["qol_mobility", "qol", "Quality of life", "radio", "Mobility", "1, No problems | 2, Some | 3, Unable | "
     "-99, Refused", "", "", "", "", "", "", "", "", "", "qol", "y", ""],
    ["qol_selfcare", "qol", "", "radio", "Self-care", "1, No problems | 2, Some | 3, Unable | -99, Refused", "", "",
     "", "", "", "", "", "", "", "qol", "y", ""],
]
DROPPED = ("tumour_info", "report_pdf", "signature")  # descriptive and file fields hold no value


def as_csv(rows: list[list[str]], header: list[str] | tuple[str, ...] = REDCAP_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


API_HEADER = API_COLUMNS
