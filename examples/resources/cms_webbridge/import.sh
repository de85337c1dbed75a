# Import a Web Bridge object by its URL and a node's Web Admin address: <url>@<host:port>.
terraform import cms_webbridge.join 'https://join.example.com@cms01.example.com:445'
