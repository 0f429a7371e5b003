from dicom_api_client.cli import main

raise SystemExit(main())
