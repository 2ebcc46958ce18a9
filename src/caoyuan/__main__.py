from caoyuan.cli import main

main()
