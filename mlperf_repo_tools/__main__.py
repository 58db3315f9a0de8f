from mlperf_repo_tools.cli import lint_main

lint_main()
