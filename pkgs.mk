# The Debian libraries opsledger links (pkg-config names); shared by the main and the fuzz build.
PKGS := libmicrohttpd jansson sqlite3 libpq libsodium libcurl liboath libqrencode ldap lber gnutls
