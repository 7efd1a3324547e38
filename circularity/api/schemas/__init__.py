"""The API's requests and answers as pydantic models, by area, with the functions that fill
them from what the services return."""
