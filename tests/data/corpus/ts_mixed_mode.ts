[Version] 2.0
# GHz S RI R 50
[Number of Ports] 4
[Mixed-Mode Order] D2,3 C2,3
