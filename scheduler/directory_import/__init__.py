"""Bulk set-up of the directory (societies, venues, people, users) from the spreadsheets an
association already keeps: reader (xlsx/CSV to rows), importer (rows through the services),
blank templates, the upload page and the `import-directory` command."""
