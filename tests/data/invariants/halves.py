a: int
b: int
assume(a >= 0)
b = 0
while a >= 2:
    if unknown():
        a = a - 2
        b = b + 1
    else:
        a = a - 1
assert a >= 0 and b >= 0
