from mlperf_repo_tools.fixing.cli import fix_main

fix_main()
