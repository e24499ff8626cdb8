"""每月一走访工作任务清单 generation (filled in below once visits' compliance selectors are used)."""
