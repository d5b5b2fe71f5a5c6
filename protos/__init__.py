"""The .proto contracts of Tongban and the Python code generated from them (`make protos`)."""
