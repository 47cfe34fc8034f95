from ketapath.cli import main

raise SystemExit(main())
