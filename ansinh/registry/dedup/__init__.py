"""De-duplication of person records (một người nhiều sổ BHXH): find, review, merge.

- :mod:`.matching`: blocking and scoring over Arrow in DuckDB (pure, no database);
- :mod:`.candidates`: the batch job that refreshes the open candidates, listing, dismissal;
- :mod:`.merge`: merging a duplicate into its survivor, audited.
"""

from ansinh.registry.dedup.candidates import (
    CandidateView,
    DedupError,
    DedupReport,
    dismiss_candidate,
    find_candidates,
    list_candidates,
)
from ansinh.registry.dedup.matching import BANDS, DEFAULT_MIN_SCORE, WEIGHTS, band, candidate_pairs
from ansinh.registry.dedup.merge import MergeRefused, MergeResult, Overlap, merge_persons

__all__ = [
    "BANDS",
    "DEFAULT_MIN_SCORE",
    "WEIGHTS",
    "CandidateView",
    "DedupError",
    "DedupReport",
    "MergeRefused",
    "MergeResult",
    "Overlap",
    "band",
    "candidate_pairs",
    "dismiss_candidate",
    "find_candidates",
    "list_candidates",
    "merge_persons",
]
