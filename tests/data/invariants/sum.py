def triangle(n: int):
    """s counts 1 + 2 + ... + i; the assertion only needs its sign and the counter's bound."""
    assume(n >= 0)
    i = 0
    s = 0
    while i < n:
        i += 1
        s = s + i
    assert s >= i and i == n
