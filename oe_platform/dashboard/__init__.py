"""The analysts' dashboard (Streamlit): reads only the serving DuckDB files under <lake>/serving/."""
