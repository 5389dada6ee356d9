from alembic_gate.main import main

raise SystemExit(main())
