"""A WeChat simulator (signs and encrypts like WeChat's servers) and a local fake of WeChat's API server."""
